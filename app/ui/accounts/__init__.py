"""The main window: the account list, its codes, and the edits made on it."""
