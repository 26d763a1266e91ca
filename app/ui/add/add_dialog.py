"""The add window: every way a desktop user meets an enrollment QR code, and typing a key.

Sources: the screen (every screen, every code on it), an image file, the clipboard (an image
or otpauth:// text), a drop of a file or a link, the camera, and manual entry. All found
accounts are listed with a check box; those already in the vault are shown but skipped.
Nothing is saved here: `accounts_chosen` hands the choice to the main window. A push
sign-in set-up (keyfob://enroll) found the same ways is offered too, and handed over by
`push_enrollment_chosen` to be registered.

The parts: `SourceButtons` (the row of sources), `CodeReader` (reading pictures off the GUI
thread), `FoundList` (what was found, checked or not), and the pages in `pages`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from app.core.account import Account
from app.ui.add.found_list import FoundList
from app.ui.add.harvest import Harvest, PushFound, TakeResult
from app.ui.add.pages import CameraView, IntroPage, ManualPage
from app.ui.add.reading import CodeReader, mime_files, mime_image, mime_links
from app.ui.add.screen import ScreenSource
from app.ui.add.source_buttons import SourceButtons
from app.ui.common.file_dialogs import choose_files
from app.ui.common.layouts import row, window_column
from app.ui.common.status_line import StatusLine
from app.ui.common.widgets import heading, muted

IMAGE_FILTER = "*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff"

_PAGE_INTRO, _PAGE_FOUND, _PAGE_CAMERA, _PAGE_MANUAL = range(4)


class AddDialog(QDialog):
    accounts_chosen = Signal(list)
    push_enrollment_chosen = Signal(str)  # a keyfob://enroll link to set up

    def __init__(
        self,
        parent: QWidget | None,
        *,
        is_known: Callable[[Account], bool],
        now: Callable[[], float],
        screen_source: ScreenSource | None = None,
        camera_check: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add an account"))
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(560, 520))
        self.harvest = Harvest(is_known)
        self._camera_check = camera_check
        self.busy = False

        self.reader = CodeReader(self, screen_source)
        self.reader.finished.connect(lambda: self._set_busy(False))
        self.reader.found.connect(self._decoded)
        self.reader.failed.connect(lambda text: self._say(text, problem=True))

        self.sources = SourceButtons()
        self.scan_button, self.file_button = self.sources.scan_button, self.sources.file_button
        self.paste_button = self.sources.paste_button
        self.camera_button = self.sources.camera_button
        self.manual_button = self.sources.manual_button
        self.scan_button.clicked.connect(self.scan_screen)
        self.file_button.clicked.connect(self.open_image_dialog)
        self.paste_button.clicked.connect(self.paste_from_clipboard)
        self.camera_button.clicked.connect(self.start_camera)
        self.manual_button.clicked.connect(self.show_manual)

        self.pages = QStackedWidget()
        self.pages.addWidget(IntroPage())
        self.pages.addWidget(self._found_page())
        self.pages.addWidget(self._camera_page())
        self.pages.addWidget(self._manual_page(now))
        self.status = StatusLine(keeps_place=True)  # names accounts found in codes and links

        layout = window_column(self)
        layout.addWidget(heading(self.tr("Add an account"), 1.3))
        layout.addWidget(
            muted(
                self.tr(
                    "Show the account's QR code on screen and scan it, open or paste a picture "
                    "of it, or type its setup key."
                )
            )
        )
        layout.addSpacing(4)
        layout.addLayout(self.sources)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addLayout(self._buttons())

        QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self, self.paste_from_clipboard)
        self._update_add_button()
        QTimer.singleShot(0, self._check_camera)

    def _found_page(self) -> FoundList:
        self.found = FoundList(self.harvest)
        self.found.changed.connect(self._update_add_button)
        self.found_list, self.batch_label = self.found.list, self.found.batch_label
        return self.found

    def _camera_page(self) -> CameraView:
        self.camera_view = CameraView()
        self.camera_view.texts_found.connect(
            lambda texts: self._decoded(texts, self.tr("in the camera picture"), quiet=True)
        )
        self.camera_view.failed.connect(lambda text: self._say(text, problem=True))
        return self.camera_view

    def _manual_page(self, now: Callable[[], float]) -> ManualPage:
        page = ManualPage(now)
        self.manual, self.back_button = page.form, page.back_button
        self.manual.changed.connect(self._update_add_button)
        self.back_button.clicked.connect(self.show_found)
        return page

    def _buttons(self) -> QHBoxLayout:
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.setObjectName("primaryButton")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.add_chosen)
        return row(None, self.cancel_button, self.add_button)

    def _check_camera(self) -> None:
        check = self._camera_check
        if check is None:
            from app.ui.add.camera import camera_available

            check = camera_available
        self.camera_button.setVisible(check())

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        self.sources.set_reading(busy)
        if message:
            self._say(message)
        self._update_add_button()

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.status.say(text, problem=problem)

    # --- sources ---------------------------------------------------------------------------

    def scan_screen(self) -> None:
        if self.busy:
            return
        self.camera_view.stop()
        self._set_busy(True, self.tr("Looking for QR codes on the screen…"))
        self.reader.scan_screen()

    def open_image_dialog(self) -> QFileDialog:
        filters = [self.tr("Images (%1)").replace("%1", IMAGE_FILTER), self.tr("All files (*)")]
        return choose_files(self, self.tr("Open an image of the QR code"), filters, self.take_files)

    def take_files(self, paths: list[Path]) -> None:
        if self.busy or not paths:
            return
        self.camera_view.stop()
        self._set_busy(True, self.tr("Reading the image…"))
        self.reader.read_files(paths)

    def take_image(self, image: QImage, where: str) -> None:
        if self.busy:
            return
        self._set_busy(True, self.tr("Looking for QR codes…"))
        self.reader.read_image(image, where)

    def take_text(self, text: str) -> None:
        result = self.harvest.take_pasted(text)
        self._report(result, self.tr("The text holds no otpauth:// link."))

    def paste_from_clipboard(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.take_mime(mime, self.tr("in the clipboard")):
            self._say(
                self.tr("The clipboard holds no QR code picture and no otpauth:// link."),
                problem=True,
            )

    def take_mime(self, mime: QMimeData, where: str) -> bool:
        """Use dropped or pasted data: image files, links, an image, or text with links."""
        files, links, image = mime_files(mime), mime_links(mime), mime_image(mime)
        if files:
            self.take_files(files)
        elif links:
            self.take_text("\n".join(links))
        elif image is not None:
            self.take_image(image, where)
        elif mime.hasText() and mime.text().strip():
            self.take_text(mime.text())
        else:
            return False
        return True

    def start_camera(self) -> None:
        self.pages.setCurrentIndex(_PAGE_CAMERA)
        self._say(self.tr("Hold the QR code in front of the camera."))
        self.camera_view.start()

    def show_manual(self) -> None:
        self.camera_view.stop()
        self.pages.setCurrentIndex(_PAGE_MANUAL)
        self.back_button.setVisible(bool(self.harvest.found))
        self._say("")
        self.manual.issuer.setFocus()
        self._update_add_button()

    def show_found(self) -> None:
        found = self.harvest.found or self.harvest.push_found
        self.pages.setCurrentIndex(_PAGE_FOUND if found else _PAGE_INTRO)
        self._update_add_button()

    # --- results ---------------------------------------------------------------------------

    def _decoded(
        self, texts: list[str], where: str, problems: Sequence[str] = (), *, quiet: bool = False
    ) -> None:
        result = self.harvest.take_texts(texts)
        result.problems[:0] = problems
        found = result.added or result.push
        if quiet and not found and not result.problems and not result.not_otp:
            return  # a camera frame without a code: the next one may have it
        nothing = self.tr(
            "No QR code found %1. Make sure the whole code is visible, then try again."
        ).replace("%1", where)
        self._report(result, nothing)
        if quiet and found:
            self.camera_view.stop()

    def _report(self, result: TakeResult, nothing: str) -> None:
        self.found.show_result(result)
        if self.harvest.found or self.harvest.push_found:
            self.pages.setCurrentIndex(_PAGE_FOUND)
        text, problem = self.found.summary(result, nothing)
        self._say(text, problem=problem)
        self._update_add_button()

    # --- adding ----------------------------------------------------------------------------

    def _typing(self) -> bool:
        return self.pages.currentIndex() == _PAGE_MANUAL

    def chosen_accounts(self) -> list[Account]:
        """What Add adds: the typed account on the manual page, else the checked codes."""
        if self._typing():
            manual = self.manual.account()
            return [manual] if manual is not None else []
        return self.found.chosen_accounts()

    def chosen_push(self) -> list[PushFound]:
        """The push sign-in set-ups checked in the list (none on the manual page)."""
        return [] if self._typing() else self.found.chosen_push()

    def _update_add_button(self) -> None:
        count = len(self.chosen_accounts())
        push = len(self.chosen_push())
        self.add_button.setEnabled(count + push > 0 and not self.busy)
        if push and not count:
            self.add_button.setText(self.tr("Set up push sign-in"))
        else:
            self.add_button.setText(
                self.tr("Add %n accounts", "", count) if count > 1 else self.tr("Add account")
            )

    def add_chosen(self) -> None:
        chosen = self.chosen_accounts()
        push = self.chosen_push()
        if not chosen and not push:
            return
        incomplete = self.harvest.incomplete_batches()
        if chosen:
            self.accounts_chosen.emit(chosen)
        for found in push:
            self.push_enrollment_chosen.emit(found.text)
        self.found.mark_push_sent()
        if not chosen or not incomplete:
            self.accept()
            return
        # Added what was read; the window stays so the rest of the export can follow.
        if self._typing():
            self.manual.clear()
        else:
            self.found.mark_added()
        self._update_add_button()
        self._say(self.tr("Added. Scan the remaining QR codes of the export to add the rest."))

    # --- drag and drop ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage() or mime.hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.take_mime(event.mimeData(), self.tr("in what was dropped")):
            event.acceptProposedAction()
        else:
            self._say(
                self.tr("That holds no QR code picture and no otpauth:// link."), problem=True
            )

    def done(self, result: int) -> None:
        self.camera_view.shutdown()
        super().done(result)
