"""Reading QR codes for the add window, off the GUI thread: on every screen, in image files,
in a picture (pasted or dropped).

For a screen grab the window and its parent step aside first: they would hide the code.
Every read ends with `finished`, then `found(texts, where, problems)` with the texts of the
codes read (`where` says where they were looked for, for "No QR code found on the screen")
or `failed(text)` when nothing could be read. An unexpected error is raised after
`finished`, for the crash dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QWidget

from app.core.errors import KeyfobError
from app.ui.add.screen import ScreenSource, decode_images, decode_qimage, grab_screens
from app.ui.common.worker import run_in_thread

GRAB_DELAY_MS = 350  # time for the compositor to take our windows off the screen
LINK_SCHEMES = ("otpauth", "otpauth-migration", "keyfob")


def mime_files(mime: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def mime_links(mime: QMimeData) -> list[str]:
    """Enrollment links dropped as links (not as text)."""
    return [url.toString() for url in mime.urls() if url.scheme().lower() in LINK_SCHEMES]


def mime_image(mime: QMimeData) -> QImage | None:
    """The picture pasted or dropped, if there is one."""
    if not mime.hasImage():
        return None
    image = mime.imageData()
    if isinstance(image, QPixmap):
        image = image.toImage()
    return image if isinstance(image, QImage) and not image.isNull() else None


def _decode_files(paths: list[Path]) -> tuple[list[str], list[str]]:
    """The texts of the codes in the files, and why a file could not be read."""
    from app.qr.decode import decode_image_file

    texts: list[str] = []
    problems: list[str] = []
    for path in paths:
        try:
            texts += decode_image_file(path)
        except KeyfobError as error:
            problems.append(str(error))
    return texts, problems


class CodeReader(QObject):
    """The add window's reader: one read at a time (the window waits for `finished`)."""

    finished = Signal()
    found = Signal(list, str, list)  # texts, where they were looked for, problems
    failed = Signal(str)

    def __init__(self, window: QWidget, screen_source: ScreenSource | None) -> None:
        super().__init__(window)
        self._window = window
        self._screen_source = screen_source

    def scan_screen(self) -> None:
        if self._screen_source is not None:
            self._grab(self._screen_source)
            return
        window = self._window
        # Our own windows would hide the code: step aside while the screens are grabbed.
        windows = [w for w in (window, window.parentWidget()) if w is not None and w.isVisible()]
        for each in windows:
            each.hide()

        def grab_and_return() -> None:
            try:
                self._grab(grab_screens)
            finally:
                for each in reversed(windows):
                    each.show()
                window.raise_()
                window.activateWindow()

        QTimer.singleShot(GRAB_DELAY_MS, grab_and_return)

    def _grab(self, source: ScreenSource) -> None:
        try:
            images = [image.copy() for image in source()]
        except Exception:
            self.finished.emit()
            raise
        if not images:
            self.finished.emit()
            self.failed.emit(
                self.tr(
                    "The screen could not be captured. Save the QR code as an image, then "
                    "use Image file."
                )
            )
            return
        where = self.tr("on the screen")
        run_in_thread(
            lambda: decode_images(images),
            lambda texts: self._done(texts, where, []),
            self._failed,
            owner=self,
        )

    def read_files(self, paths: list[Path]) -> None:
        where = paths[0].name if len(paths) == 1 else self.tr("in the images")
        run_in_thread(
            lambda: _decode_files(paths),
            lambda result: self._done(result[0], where, result[1]),
            self._failed,
            owner=self,
        )

    def read_image(self, image: QImage, where: str) -> None:
        copy = image.copy()
        run_in_thread(
            lambda: decode_qimage(copy),
            lambda texts: self._done(texts, where, []),
            self._failed,
            owner=self,
        )

    def _done(self, texts: list[str], where: str, problems: list[str]) -> None:
        self.finished.emit()
        self.found.emit(texts, where, problems)

    def _failed(self, error: BaseException) -> None:
        self.finished.emit()
        if not isinstance(error, KeyfobError):
            raise error
        self.failed.emit(str(error))
