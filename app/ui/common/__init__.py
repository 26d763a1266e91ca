"""Widgets, workers, resources and wording shared by every feature package."""
