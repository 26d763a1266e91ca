"""The settings window and what it changes: the clock check, the password."""
