"""Keyfob: a desktop authenticator."""

__version__ = "0.1.0"
