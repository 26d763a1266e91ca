"""The add window: every way a desktop user meets an enrollment QR code, and typing a key.

Sources: the screen (every screen, every code on it), an image file, the clipboard (an image
or otpauth:// text), a drop of a file or a link, the camera, and manual entry. All found
accounts are listed with a check box; those already in the vault are shown but skipped.
Nothing is saved here: `accounts_chosen` hands the choice to the main window. A push
sign-in set-up (keyfob://enroll) found the same ways is offered too, and handed over by
`push_enrollment_chosen` to be registered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account
from app.core.errors import KeyfobError
from app.ui.add.harvest import Found, Harvest, PushFound, TakeResult
from app.ui.add.manual_form import ManualEntryForm
from app.ui.add.screen import ScreenSource, decode_images, decode_qimage, grab_screens
from app.ui.common.avatar import AvatarPainter
from app.ui.common.resources import icon
from app.ui.common.widgets import heading, muted, plain_label, show_check_boxes_on_dark
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.ui.add.camera import CameraScanner

IMAGE_FILTER = "*.png *.jpg *.jpeg *.gif *.bmp *.webp *.tif *.tiff"
GRAB_DELAY_MS = 350  # time for the compositor to take our windows off the screen

_PAGE_INTRO, _PAGE_FOUND, _PAGE_CAMERA, _PAGE_MANUAL = range(4)
_PUSH_ROLE = Qt.ItemDataRole.UserRole + 1  # a push set-up's index in harvest.push_found


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
        self._screen_source = screen_source
        self._camera_check = camera_check
        self._camera: CameraScanner | None = None
        self.busy = False
        self._avatars = AvatarPainter()

        title = heading(self.tr("Add an account"), 1.3)
        intro = muted(
            self.tr(
                "Show the account's QR code on screen and scan it, open or paste a picture of "
                "it, or type its setup key."
            )
        )

        sources = self._build_sources()
        self.pages = QStackedWidget()
        self.pages.addWidget(self._intro_page())
        self.pages.addWidget(self._found_page())
        self.camera_view = QLabel(self.tr("Starting the camera…"))
        self.camera_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.camera_view.setMinimumHeight(240)
        self.camera_view.setAccessibleName(self.tr("Camera picture"))
        self.pages.addWidget(self.camera_view)
        self.pages.addWidget(self._manual_page(now))

        self.status = plain_label()  # names accounts found in codes and links
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = self._build_buttons()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 18)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(sources)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self, self.paste_from_clipboard)
        self._update_add_button()
        QTimer.singleShot(0, self._check_camera)

    # --- layout helpers --------------------------------------------------------------------

    def _build_sources(self) -> QHBoxLayout:
        self.scan_button = self._source_button(
            "scan-screen", self.tr("Scan &screen"), self.tr("Find QR codes on every screen")
        )
        self.file_button = self._source_button(
            "image", self.tr("&Image file…"), self.tr("Read QR codes from an image file")
        )
        self.paste_button = self._source_button(
            "paste", self.tr("&Paste"), self.tr("Use a QR image or an otpauth:// link copied")
        )
        self.camera_button = self._source_button(
            "camera", self.tr("&Camera"), self.tr("Hold the QR code up to the camera")
        )
        self.manual_button = self._source_button(
            "keyboard", self.tr("Enter &key"), self.tr("Type the setup key by hand")
        )
        self.camera_button.hide()
        self.scan_button.clicked.connect(self.scan_screen)
        self.file_button.clicked.connect(self.open_image_dialog)
        self.paste_button.clicked.connect(self.paste_from_clipboard)
        self.camera_button.clicked.connect(self.start_camera)
        self.manual_button.clicked.connect(self.show_manual)
        sources = QHBoxLayout()
        sources.setSpacing(8)
        for button in (
            self.scan_button,
            self.file_button,
            self.paste_button,
            self.camera_button,
            self.manual_button,
        ):
            sources.addWidget(button)
        sources.addStretch(1)
        return sources

    def _build_buttons(self) -> QHBoxLayout:
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.setObjectName("primaryButton")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.add_chosen)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.add_button)
        return buttons

    def _manual_page(self, now: Callable[[], float]) -> QWidget:
        self.manual = ManualEntryForm(now)
        self.manual.changed.connect(self._update_add_button)
        self.back_button = QPushButton(self.tr("← Back to the codes found"))
        self.back_button.setFlat(True)
        self.back_button.clicked.connect(self.show_found)
        self.back_button.hide()
        manual_page = QWidget()
        manual_layout = QVBoxLayout(manual_page)
        manual_layout.setContentsMargins(0, 0, 0, 0)
        manual_layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        manual_layout.addWidget(self.manual, 1)
        return manual_page

    def _found_page(self) -> QWidget:
        self.found_list = QListWidget()
        self.found_list.setAccessibleName(self.tr("Accounts found"))
        self.found_list.setIconSize(QSize(32, 32))
        self.found_list.setSpacing(2)
        self.found_list.itemChanged.connect(self._update_add_button)
        show_check_boxes_on_dark(self.found_list)
        self.batch_label = plain_label()
        self.batch_label.setWordWrap(True)
        self.batch_label.setAccessibleName(self.tr("Export progress"))
        self.batch_label.hide()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.batch_label)
        layout.addWidget(self.found_list)
        return page

    def _source_button(self, icon_name: str, text: str, description: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(26, 26))
        button.setText(text)
        button.setToolTip(description)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.setAccessibleDescription(description)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setMinimumSize(QSize(92, 70))
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    def _intro_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        symbol = QLabel()
        symbol.setPixmap(icon("qr").pixmap(QSize(56, 56), self.devicePixelRatioF()))
        symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(symbol)
        hint = muted(
            self.tr(
                "The site's security settings show a QR code when you turn on two-factor "
                "authentication.\nYou can also drop an image or an otpauth:// link here."
            )
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)
        layout.addStretch(1)
        return page

    def _check_camera(self) -> None:
        check = self._camera_check
        if check is None:
            from app.ui.add.camera import camera_available

            check = camera_available
        self.camera_button.setVisible(check())

    # --- busy state ------------------------------------------------------------------------

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        for button in (self.scan_button, self.file_button, self.paste_button):
            button.setEnabled(not busy)
        if message:
            self._say(message)
        self._update_add_button()

    def _say(self, text: str, *, problem: bool = False) -> None:
        from app.ui.common.widgets import error_colour

        self.status.setStyleSheet(f"color: {error_colour(self)};" if problem else "")
        self.status.setText(text)

    # --- sources ---------------------------------------------------------------------------

    def scan_screen(self) -> None:
        if self.busy:
            return
        self._stop_camera()
        self._set_busy(True, self.tr("Looking for QR codes on the screen…"))
        if self._screen_source is not None:
            self._grab(self._screen_source)
            return
        # Our own windows would hide the code: step aside while the screens are grabbed.
        windows = [w for w in (self, self.parentWidget()) if w is not None and w.isVisible()]
        for window in windows:
            window.hide()

        def grab_and_return() -> None:
            try:
                self._grab(grab_screens)
            finally:
                for window in reversed(windows):
                    window.show()
                self.raise_()
                self.activateWindow()

        QTimer.singleShot(GRAB_DELAY_MS, grab_and_return)

    def _grab(self, source: ScreenSource) -> None:
        try:
            images = [image.copy() for image in source()]
        except Exception:
            self._set_busy(False)
            raise
        if not images:
            self._set_busy(False)
            self._say(
                self.tr(
                    "The screen could not be captured. Save the QR code as an image, then "
                    "use Image file."
                ),
                problem=True,
            )
            return
        run_in_thread(
            lambda: decode_images(images),
            lambda texts: self._decoded(texts, self.tr("on the screen")),
            self._decode_failed,
            owner=self,
        )

    def open_image_dialog(self) -> QFileDialog:
        dialog = QFileDialog(self, self.tr("Open an image of the QR code"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(
            [self.tr("Images (%1)").replace("%1", IMAGE_FILTER), self.tr("All files (*)")]
        )
        dialog.setOption(
            QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen"
        )
        dialog.filesSelected.connect(lambda files: self.take_files([Path(f) for f in files]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def take_files(self, paths: list[Path]) -> None:
        if self.busy or not paths:
            return
        self._stop_camera()
        self._set_busy(True, self.tr("Reading the image…"))

        def work() -> tuple[list[str], list[str]]:
            from app.qr.decode import decode_image_file

            texts: list[str] = []
            problems: list[str] = []
            for path in paths:
                try:
                    texts += decode_image_file(path)
                except KeyfobError as error:
                    problems.append(str(error))
            return texts, problems

        def done(result: tuple[list[str], list[str]]) -> None:
            texts, problems = result
            where = paths[0].name if len(paths) == 1 else self.tr("in the images")
            self._decoded(texts, where, problems)

        run_in_thread(work, done, self._decode_failed, owner=self)

    def take_image(self, image: QImage, where: str) -> None:
        if self.busy:
            return
        self._set_busy(True, self.tr("Looking for QR codes…"))
        copy = image.copy()
        run_in_thread(
            lambda: decode_qimage(copy),
            lambda texts: self._decoded(texts, where),
            self._decode_failed,
            owner=self,
        )

    def take_text(self, text: str) -> None:
        result = self.harvest.take_pasted(text)
        self._report(result, nothing=self.tr("The text holds no otpauth:// link."))

    def paste_from_clipboard(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.take_mime(mime, self.tr("in the clipboard")):
            self._say(
                self.tr("The clipboard holds no QR code picture and no otpauth:// link."),
                problem=True,
            )

    def take_mime(self, mime: QMimeData, where: str) -> bool:
        """Use dropped or pasted data: image files, an image, or text with links."""
        files = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        links = [
            url.toString()
            for url in mime.urls()
            if url.scheme().lower() in ("otpauth", "otpauth-migration", "keyfob")
        ]
        if files:
            self.take_files(files)
            return True
        if links:
            self.take_text("\n".join(links))
            return True
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.take_image(image, where)
                return True
            if isinstance(image, QPixmap) and not image.isNull():
                self.take_image(image.toImage(), where)
                return True
        if mime.hasText() and mime.text().strip():
            self.take_text(mime.text())
            return True
        return False

    def start_camera(self) -> None:
        from app.ui.add.camera import CameraScanner

        if self._camera is None:
            self._camera = CameraScanner(self)
            self._camera.preview.connect(self._show_frame)
            self._camera.texts_found.connect(
                lambda texts: self._decoded(texts, self.tr("in the camera picture"), quiet=True)
            )
            self._camera.failed.connect(lambda text: self._say(text, problem=True))
        self.pages.setCurrentIndex(_PAGE_CAMERA)
        self._say(self.tr("Hold the QR code in front of the camera."))
        self._camera.start()

    @property
    def camera(self) -> CameraScanner | None:
        return self._camera

    def _show_frame(self, image: QImage) -> None:
        if self.pages.currentIndex() != _PAGE_CAMERA:
            return
        size = self.camera_view.size()
        self.camera_view.setPixmap(
            QPixmap.fromImage(image).scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        )

    def _stop_camera(self) -> None:
        if self._camera is not None:
            self._camera.stop()

    def show_manual(self) -> None:
        self._stop_camera()
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

    def _decode_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, KeyfobError):
            self._say(str(error), problem=True)
            return
        raise error

    def _decoded(
        self,
        texts: list[str],
        where: str,
        problems: list[str] | None = None,
        *,
        quiet: bool = False,
    ) -> None:
        if not quiet:
            self._set_busy(False)
        result = self.harvest.take_texts(texts)
        result.problems[:0] = problems or []
        found = result.added or result.push
        if quiet and not found and not result.problems and not result.not_otp:
            return
        nothing = self.tr(
            "No QR code found %1. Make sure the whole code is visible, then try again."
        ).replace("%1", where)
        self._report(result, nothing=nothing)
        if quiet and found:
            self._stop_camera()

    def _report(self, result: TakeResult, *, nothing: str) -> None:
        for found in result.added:
            self._add_item(found)
        for push in result.push:
            self._add_push_item(push)
        if self.harvest.found or self.harvest.push_found:
            self.pages.setCurrentIndex(_PAGE_FOUND)
        self._update_batches()
        messages: list[str] = []
        problem = False
        new = [f for f in result.added if not f.duplicate]
        duplicates = [f for f in result.added if f.duplicate]
        if new:
            messages.append(
                self.tr("Found a new account.")
                if len(new) == 1
                else self.tr("Found %n new accounts.", "", len(new))
            )
        if duplicates:
            messages.append(
                self.tr("One account is already in Keyfob and will be skipped.")
                if len(duplicates) == 1
                else self.tr(
                    "%n accounts are already in Keyfob and will be skipped.", "", len(duplicates)
                )
            )
        for push in result.push:
            messages.append(
                self.tr("Found a push sign-in set-up for %1.").replace("%1", push.issuer)
            )
        if result.repeated and not result.added and not result.push:
            messages.append(self.tr("Already in the list below."))
        if result.not_otp and not result.added and not result.push:
            messages.append(
                self.tr("A QR code was found, but it is not a two-factor setup code.")
                if result.not_otp == 1
                else self.tr("The QR codes found are not two-factor setup codes.")
            )
            problem = True
        for text in result.problems:
            messages.append(self.tr("Not usable: %1").replace("%1", text))
            problem = True
        if not messages:
            messages.append(nothing)
            problem = True
        self._say(" ".join(messages), problem=problem and not new and not result.push)
        self._update_add_button()

    def _add_item(self, found: Found) -> None:
        account = found.account
        title = account.issuer or account.name
        detail = account.name if account.issuer else ""
        text = f"{title}\n{detail}" if detail else title
        if found.duplicate:
            text += "  " + self.tr("(already in Keyfob)")
        item = QListWidgetItem(text)
        item.setIcon(QIcon(self._avatars.pixmap(account, 32, self.devicePixelRatioF())))
        position = next(i for i, f in enumerate(self.harvest.found) if f is found)
        item.setData(Qt.ItemDataRole.UserRole, position)
        if found.duplicate:
            item.setFlags(Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
        else:
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(Qt.CheckState.Checked)
        self.found_list.addItem(item)

    def _add_push_item(self, push: PushFound) -> None:
        item = QListWidgetItem(
            self.tr("Set up push sign-in for %1 / %2")
            .replace("%1", push.issuer)
            .replace("%2", push.user)
            + "\n"
            + self.tr("Approve sign-ins here (server %1)").replace("%1", push.server)
        )
        item.setIcon(icon("push"))
        item.setData(_PUSH_ROLE, self.harvest.push_found.index(push))
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )
        item.setCheckState(Qt.CheckState.Checked)
        self.found_list.addItem(item)

    def chosen_push(self) -> list[PushFound]:
        """The push sign-in set-ups checked in the list (none on the manual page)."""
        if self.pages.currentIndex() == _PAGE_MANUAL:
            return []
        chosen = []
        for row in range(self.found_list.count()):
            item = self.found_list.item(row)
            index = item.data(_PUSH_ROLE)
            if index is not None and item.checkState() == Qt.CheckState.Checked:
                chosen.append(self.harvest.push_found[int(index)])
        return chosen

    def _mark_push_sent(self) -> None:
        for row in range(self.found_list.count()):
            item = self.found_list.item(row)
            if item.data(_PUSH_ROLE) is not None and item.checkState() == Qt.CheckState.Checked:
                item.setCheckState(Qt.CheckState.Unchecked)
                item.setFlags(Qt.ItemFlag.ItemIsSelectable)

    def _update_batches(self) -> None:
        lines = []
        for batch in self.harvest.progress.exports:
            if batch.complete:
                lines.append(
                    self.tr("Google Authenticator export: all %1 QR codes read.").replace(
                        "%1", str(batch.size)
                    )
                )
            else:
                missing = ", ".join(str(n) for n in batch.missing())
                lines.append(
                    self.tr(
                        "Google Authenticator export: QR %1 of %2 read — scan the next one "
                        "(still missing: %3)."
                    )
                    .replace("%1", str(len(batch.read)))
                    .replace("%2", str(batch.size))
                    .replace("%3", missing)
                )
        self.batch_label.setText("\n".join(lines))
        self.batch_label.setVisible(bool(lines))

    # --- adding ----------------------------------------------------------------------------

    def chosen_accounts(self) -> list[Account]:
        """What Add adds: the typed account on the manual page, else the checked codes."""
        if self.pages.currentIndex() == _PAGE_MANUAL:
            manual = self.manual.account()
            return [manual] if manual is not None else []
        chosen = []
        for row in range(self.found_list.count()):
            item = self.found_list.item(row)
            position = item.data(Qt.ItemDataRole.UserRole)
            if position is not None and item.checkState() == Qt.CheckState.Checked:
                found = self.harvest.found[int(position)]
                if not found.duplicate:
                    chosen.append(found.account)
        return chosen

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
        self._mark_push_sent()
        if not chosen:
            self.accept()
            return
        if incomplete:
            # Added what was read; the window stays so the rest of the export can follow.
            self._mark_added()
            self._say(self.tr("Added. Scan the remaining QR codes of the export to add the rest."))
            return
        self.accept()

    def _mark_added(self) -> None:
        for row in range(self.found_list.count()):
            item = self.found_list.item(row)
            position = item.data(Qt.ItemDataRole.UserRole)
            if item.checkState() != Qt.CheckState.Checked or position is None:
                continue
            found = self.harvest.found[int(position)]
            found.duplicate = True
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setFlags(Qt.ItemFlag.ItemIsSelectable)
            item.setText(item.text() + "  " + self.tr("(added)"))
        if self.pages.currentIndex() == _PAGE_MANUAL:
            self.manual.clear()
        self._update_add_button()

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
        if self._camera is not None:
            self._camera.shutdown()
            self._camera = None
        super().done(result)
