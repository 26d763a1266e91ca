"""Accounts, one-time codes, otpauth:// and otpauth-migration:// URIs, the clock, errors.

Pure Python; everything else in Keyfob builds on this package.
"""
