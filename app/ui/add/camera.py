"""Reading QR codes from a camera: QtMultimedia frames, decoded off the GUI thread.

QtMultimedia loads only when the add window first asks whether there is a camera. Frames
arrive at the camera's rate; one at a time is decoded on a worker thread and frames coming
in meanwhile are dropped, so a slow decode never piles up work or stalls the window.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage

from app.core.errors import KeyfobError
from app.ui.common.images import fit_within

MAX_FRAME_SIDE = 1280  # larger frames are scaled down first: QR codes held up stay readable


def camera_available() -> bool:
    """Whether the system has a camera Qt can use (False when QtMultimedia cannot load)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:
        return False
    return bool(QMediaDevices.videoInputs())


class FrameDecoder(QObject):
    """Decodes one frame at a time on its own thread; `texts_found` when a frame has codes."""

    texts_found = Signal(list)
    _decoded = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyfob-camera")
        self.busy = False
        self.decoded_frames = 0
        self._decoded.connect(self._finished, Qt.ConnectionType.QueuedConnection)

    def feed(self, image: QImage) -> bool:
        """Queue `image` for decoding; False (dropped) while the previous one is in work."""
        if self.busy or image.isNull():
            return False
        gray = fit_within(image, MAX_FRAME_SIDE).convertToFormat(QImage.Format.Format_Grayscale8)
        self.busy = True
        self._executor.submit(self._decode, gray)
        return True

    def _decode(self, gray: QImage) -> None:
        from app.ui.add.screen import decode_qimage

        try:
            texts = decode_qimage(gray)
        except KeyfobError:
            texts = []
        self._decoded.emit(texts)

    @Slot(list)
    def _finished(self, texts: list[str]) -> None:
        self.busy = False
        self.decoded_frames += 1
        if texts:
            self.texts_found.emit(texts)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class CameraScanner(QObject):
    """A running camera: `preview(QImage)` for the window, `texts_found(list)` for codes."""

    preview = Signal(QImage)
    texts_found = Signal(list)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.decoder = FrameDecoder(self)
        self.decoder.texts_found.connect(self.texts_found)
        self._camera: Any = None
        self._session: Any = None
        self._sink: Any = None

    @property
    def running(self) -> bool:
        return self._camera is not None

    def start(self) -> None:
        try:
            from PySide6.QtMultimedia import (
                QCamera,
                QMediaCaptureSession,
                QMediaDevices,
                QVideoSink,
            )
        except ImportError:
            self.failed.emit(self.tr("The camera cannot be used: QtMultimedia is not available."))
            return
        device = QMediaDevices.defaultVideoInput()
        if device.isNull():
            self.failed.emit(self.tr("No camera was found."))
            return
        self._camera = QCamera(device, self)
        self._session = QMediaCaptureSession(self)
        self._sink = QVideoSink(self)
        self._session.setCamera(self._camera)
        self._session.setVideoSink(self._sink)
        self._sink.videoFrameChanged.connect(self._frame)
        self._camera.errorOccurred.connect(self._camera_error)
        self._camera.start()

    def _frame(self, frame: Any) -> None:
        image = frame.toImage()
        if image.isNull():
            return
        self.preview.emit(image)
        self.decoder.feed(image)

    def _camera_error(self, error: Any, text: str) -> None:
        self.failed.emit(self.tr("The camera stopped: %1").replace("%1", text))
        self.stop()

    def stop(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._camera.deleteLater()
        self._camera = None
        self._session = None
        self._sink = None

    def shutdown(self) -> None:
        self.stop()
        self.decoder.shutdown()
