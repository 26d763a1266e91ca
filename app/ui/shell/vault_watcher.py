"""Noticing that another program (the CLI, a second window) saved the vault file.

Saves replace the file atomically (a new inode), after which QFileSystemWatcher has lost it:
the folder is watched too, and the file's watch is added again after every change. A burst
of events (temporary file, rename, backup link) becomes one `changed` a moment later.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

SETTLE_MS = 150


class VaultWatcher(QObject):
    changed = Signal()

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._watcher = QFileSystemWatcher(self)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._fire)
        self._watcher.fileChanged.connect(self._poke)
        self._watcher.directoryChanged.connect(self._poke)
        self._watch()

    def _watch(self) -> None:
        paths = [str(self.path.parent)]
        if self.path.exists():
            paths.append(str(self.path))
        missing = [p for p in paths if p not in self._watcher.files() + self._watcher.directories()]
        if missing:
            self._watcher.addPaths(missing)

    def _poke(self, _path: str) -> None:
        self._settle.start()

    def _fire(self) -> None:
        self._watch()
        self.changed.emit()

    def stop(self) -> None:
        self._settle.stop()
        paths = self._watcher.files() + self._watcher.directories()
        if paths:
            self._watcher.removePaths(paths)
