"""The desktop app: the only Qt code (windows, models, delegates, dialogs, tray, capture).

Start it with `keyfob` (no command); `app.ui.shell.main.run` is the entry point.
"""
