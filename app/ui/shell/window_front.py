"""Bringing a window to the user: shown, restored from the taskbar, raised and focused."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def bring_to_front(window: QWidget) -> None:
    """Shown, out of the taskbar if minimised, raised and focused."""
    if window.isMinimized():  # never for a first window: its show needs no Qt namespace
        from PySide6.QtCore import Qt

        # Not showNormal(): a window maximised before it was minimised stays maximised.
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
