"""Organising accounts: edit, delete with confirmation, favourites, groups, sorting, order."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMessageBox, QPushButton

from app.core.account import Account
from app.ui.accounts.edit_dialog import split_groups
from app.ui.accounts.main_window import MainWindow
from app.ui.common.avatar import decode_icon
from app.ui.common.settings import SortMode
from app.vault.store import Vault
from tests.ui.accounts.test_codes_and_copy import row_of
from tests.ui.conftest import PASSWORD


def on_disk(window: MainWindow) -> list[Account]:
    """The accounts as another program opening the vault file sees them."""
    return Vault.open(window.vault.path, PASSWORD).content.accounts


def shown(window: MainWindow) -> list[str]:
    return [a.issuer for a in window.model.visible_accounts()]


def select(window: MainWindow, issuer: str) -> None:
    window.view.setCurrentIndex(window.model.index(row_of(window, issuer), 0))


def test_edit_changes_issuer_name_groups_note_and_icon(main_window: MainWindow) -> None:
    select(main_window, "Dropbox")
    main_window.editor.edit_selected()
    dialog = main_window.dialogs.current("edit")
    dialog.issuer.setText("Dropbox Business")
    dialog.name.setText("alice@corp.example")
    dialog.groups.setText("Work, Shared , work,")
    dialog.note.setPlainText("recovery codes in the safe")
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    image.fill(QColor("#0061fe"))
    dialog.set_icon_image(image)
    dialog.save()
    stored = next(a for a in on_disk(main_window) if a.issuer == "Dropbox Business")
    assert stored.name == "alice@corp.example"
    assert stored.groups == ("Work", "Shared")
    assert stored.note == "recovery codes in the safe"
    icon = decode_icon(stored.icon)
    assert icon is not None
    assert icon.pixelColor(10, 10) == QColor("#0061fe")
    assert "Shared" in Vault.open(main_window.vault.path, PASSWORD).content.groups
    assert "Dropbox Business" in shown(main_window)
    # The group list offers the new group.
    assert main_window.group_box.findData("Shared") > 0


def test_edit_refuses_an_account_without_issuer_and_name(main_window: MainWindow) -> None:
    select(main_window, "Dropbox")
    main_window.editor.edit_selected()
    dialog = main_window.dialogs.current("edit")
    dialog.issuer.clear()
    dialog.name.clear()
    dialog.save()
    assert dialog.error.isVisible()
    assert "Dropbox" in [a.issuer for a in on_disk(main_window)]


def test_split_groups() -> None:
    assert split_groups(" Work, Personal ,, work ") == ("Work", "Personal")
    assert split_groups("") == ()


def _delete_box(window: MainWindow) -> tuple[QMessageBox, QPushButton]:
    box = window.editor.delete_selected()
    assert box is not None
    assert box.isVisible()
    delete = next(b for b in box.findChildren(QPushButton) if b.text() == "Delete")
    return box, delete


def test_delete_asks_first_and_cancel_keeps_the_account(main_window: MainWindow) -> None:
    select(main_window, "Google")
    box, _delete = _delete_box(main_window)
    assert "Google" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert "Google" in [a.issuer for a in on_disk(main_window)]
    assert "Google" in shown(main_window)


def test_delete_removes_the_account_and_a_backup_keeps_it(main_window: MainWindow) -> None:
    from app.vault.backups import list_backups, read_backup

    select(main_window, "Google")
    _box, delete = _delete_box(main_window)
    delete.click()
    assert "Google" not in [a.issuer for a in on_disk(main_window)]
    assert "Google" not in shown(main_window)
    newest = list_backups(main_window.vault.path)[0]
    assert "Google" in [a.issuer for a in read_backup(newest, PASSWORD).accounts]


def test_favourites_are_pinned_at_the_top_and_saved(main_window: MainWindow) -> None:
    select(main_window, "Dropbox")
    main_window.editor.toggle_selected_favourite()
    assert shown(main_window)[0] == "Dropbox"
    assert next(a for a in on_disk(main_window) if a.issuer == "Dropbox").favourite
    main_window.set_sort(SortMode.NAME)
    assert shown(main_window)[0] == "Dropbox"
    select(main_window, "Dropbox")
    main_window.editor.toggle_selected_favourite()
    assert not next(a for a in on_disk(main_window) if a.issuer == "Dropbox").favourite


def test_groups_filter_the_list(main_window: MainWindow) -> None:
    assert main_window.group_box.isVisible()
    index = main_window.group_box.findData("Work")
    assert index > 0
    main_window.group_box.setCurrentIndex(index)
    main_window.group_box.activated.emit(index)
    assert shown(main_window) == ["GitHub", "Microsoft"]
    assert main_window.settings.group == "Work"
    main_window.search.setText("micro")
    assert shown(main_window) == ["Microsoft"]
    main_window.search.clear()
    main_window.set_group("")
    assert len(shown(main_window)) == 5


def test_sorting_by_issuer_name_and_last_used(main_window: MainWindow) -> None:
    main_window.set_sort(SortMode.ISSUER)
    assert shown(main_window) == ["Counter", "Dropbox", "GitHub", "Google", "Microsoft"]
    main_window.set_sort(SortMode.NAME)
    names = [a.name for a in main_window.model.visible_accounts()]
    assert names == sorted(names, key=str.casefold)
    select(main_window, "Microsoft")
    main_window.codes.copy_selected()
    main_window.set_sort(SortMode.LAST_USED)
    main_window.reload()
    assert shown(main_window)[0] == "Microsoft"
    assert main_window.settings.sort_mode is SortMode.LAST_USED
    # Copying does not write the vault; the time is saved with the next write or on lock.
    main_window.editor.save_pending()
    assert next(a for a in on_disk(main_window) if a.issuer == "Microsoft").last_used


def test_manual_order_moves_with_the_keyboard_and_is_saved(main_window: MainWindow) -> None:
    select(main_window, "Dropbox")
    main_window.move_selected(-1)
    main_window.move_selected(-1)
    assert shown(main_window) == ["GitHub", "Dropbox", "Google", "Microsoft", "Counter"]
    assert main_window.selected_account().issuer == "Dropbox"  # type: ignore[union-attr]
    stored = sorted(on_disk(main_window), key=lambda a: a.sort_position)
    assert [a.issuer for a in stored] == ["GitHub", "Dropbox", "Google", "Microsoft", "Counter"]


def test_drag_and_drop_reorders_through_the_model(main_window: MainWindow) -> None:
    model = main_window.model
    data = model.mimeData([model.index(0, 0)])
    from PySide6.QtCore import Qt

    model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert shown(main_window) == ["Google", "Microsoft", "GitHub", "Dropbox", "Counter"]
    stored = sorted(on_disk(main_window), key=lambda a: a.sort_position)
    assert [a.issuer for a in stored][:3] == ["Google", "Microsoft", "GitHub"]


def test_reordering_is_off_while_searching_or_sorted(main_window: MainWindow) -> None:
    main_window.search.setText("o")
    assert not main_window.model.can_reorder()
    main_window.search.clear()
    main_window.set_sort(SortMode.ISSUER)
    before = shown(main_window)
    select(main_window, "Google")
    main_window.move_selected(-1)
    assert shown(main_window) == before
    assert "Manual order" in main_window.toast.text


def test_context_menu_offers_the_account_actions(main_window: MainWindow) -> None:
    select(main_window, "Counter")
    menu = main_window.show_context_menu(main_window.view.currentIndex(), main_window.pos())
    texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert "Next code" in texts
    assert "Copy code" in texts
    assert "Delete…" in texts
    assert "Show QR code…" in texts
    menu.close()
