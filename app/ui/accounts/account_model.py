"""The account list as a Qt model: sorting, favourites first, group and search filtering.

A QStringListModel underneath, not a QSortFilterProxyModel and not a plain Python list
model: while laying out the list, QListView asks the model for an index per row, and each
of those would call `rowCount` in Python (20,000 calls, 12 ms, per keystroke at 10,000
accounts). Here the row count lives in C++ (one empty string per visible row: only their
number is used), Python answers only `data` for the rows on screen, and a keystroke is one
list comprehension over precomputed lower-case text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    Signal,
)

from app.core.account import Account
from app.ui.common.settings import SortMode
from app.ui.common.widgets import plain_tooltip

ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1
UUID_ROLE = Qt.ItemDataRole.UserRole + 2
MIME_TYPE = "application/x-keyfob-account-rows"

_Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)


def haystack(account: Account) -> str:
    """What the search looks in: issuer, name and group names, case-folded."""
    return "\n".join((account.issuer, account.name, *account.groups)).casefold()


def _sort_key(mode: SortMode) -> Any:
    if mode is SortMode.ISSUER:
        return lambda a: (not a.favourite, a.issuer.casefold(), a.name.casefold())
    if mode is SortMode.NAME:
        return lambda a: (not a.favourite, a.name.casefold(), a.issuer.casefold())
    if mode is SortMode.LAST_USED:
        return lambda a: (not a.favourite, -(a.last_used or 0), a.issuer.casefold())
    return lambda a: (not a.favourite, a.sort_position, a.created)


class AccountModel(QStringListModel):
    """The accounts shown, in order. `order_changed({uuid: position})` after a manual move."""

    order_changed = Signal(dict)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._accounts: list[Account] = []  # in display order (favourites first)
        self._hay: list[str] = []
        # Indexes into _accounts of the visible rows: a range while nothing is filtered out
        # (a list of 10,000 ints would cost 400 KB).
        self._rows: Sequence[int] = range(0)
        self._terms: tuple[str, ...] = ()
        self._group = ""
        self._sort = SortMode.MANUAL
        # What a screen reader says for a row (the window adds the code); the label if unset.
        self.describe: Callable[[Account], str] | None = None

    # --- content ---------------------------------------------------------------------------

    @property
    def accounts(self) -> list[Account]:
        """Every account (filtered or not), in display order."""
        return list(self._accounts)

    @property
    def sort_mode(self) -> SortMode:
        return self._sort

    @property
    def group(self) -> str:
        return self._group

    @property
    def filter_active(self) -> bool:
        return bool(self._terms or self._group)

    def set_accounts(self, accounts: Iterable[Account]) -> None:
        self._accounts = sorted(accounts, key=_sort_key(self._sort))
        self._hay = [haystack(a) for a in self._accounts]
        self._show(self._filtered(range(len(self._accounts))))

    def set_sort(self, mode: SortMode) -> None:
        if mode is self._sort:
            return
        self._sort = SortMode(mode)
        self.set_accounts(self._accounts)

    def set_filter(self, text: str) -> None:
        terms = tuple(text.casefold().split())
        if terms == self._terms:
            return
        narrowing = len(terms) >= len(self._terms) and all(
            new.__contains__(old) for old, new in zip(self._terms, terms, strict=False)
        )
        self._terms = terms
        # Typing one more letter can only narrow the match: search the rows shown, not all.
        self._show(self._filtered(self._rows if narrowing else range(len(self._accounts))))

    def set_group(self, group: str) -> None:
        if group == self._group:
            return
        self._group = group
        self._show(self._filtered(range(len(self._accounts))))

    def _filtered(self, rows: Sequence[int]) -> Sequence[int]:
        if not (self._group or self._terms):
            return rows
        selected = list(rows)
        if self._group:
            accounts, group = self._accounts, self._group
            selected = [i for i in selected if group in accounts[i].groups]
        hay = self._hay
        for term in self._terms:
            selected = [i for i in selected if term in hay[i]]
        return selected

    def _show(self, rows: Sequence[int]) -> None:
        """Make `rows` the visible rows (a model reset, as setStringList does)."""
        self._rows = rows
        # Empty strings, not labels: `data` answers from the accounts, and a label would
        # cost a Python and a C++ copy of its text (200 bytes an account).
        self.setStringList([""] * len(rows))

    def replace_account(self, account: Account) -> None:
        """Show a changed account (same uuid) without a full reset when its place holds."""
        position = next((i for i, a in enumerate(self._accounts) if a.uuid == account.uuid), None)
        if position is None:
            return
        existing = self._accounts[position]
        key = _sort_key(self._sort)
        if key(existing) != key(account) or haystack(existing) != haystack(account):
            updated = list(self._accounts)
            updated[position] = account
            self.set_accounts(updated)
            return
        self._accounts[position] = account
        try:
            row = self._rows.index(position)
        except ValueError:
            return
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    # --- lookups ---------------------------------------------------------------------------

    def account(self, row: int) -> Account:
        return self._accounts[self._rows[row]]

    def account_at(self, index: _Index) -> Account | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._accounts[self._rows[index.row()]]

    def row_of(self, uuid: str) -> int | None:
        for row, position in enumerate(self._rows):
            if self._accounts[position].uuid == uuid:
                return row
        return None

    def visible_accounts(self) -> list[Account]:
        return [self._accounts[i] for i in self._rows]

    # --- Qt model interface (rowCount stays in C++) ----------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        account = self._accounts[self._rows[row]]
        if role == ACCOUNT_ROLE:
            return account
        if role == UUID_ROLE:
            return account.uuid
        return self._text(account, role)

    def _text(self, account: Account, role: int) -> str | None:
        if role == _DISPLAY:
            return account.label
        if role == _ACCESSIBLE:
            return self.describe(account) if self.describe is not None else account.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(_tooltip(account))
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        return False  # accounts change through the vault, never by editing the list

    def insertRows(self, row: int, count: int, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return False

    def removeRows(self, row: int, count: int, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return False

    def flags(self, index: _Index) -> Qt.ItemFlag:
        reorder = self.can_reorder()
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled if reorder else Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS | Qt.ItemFlag.ItemIsDragEnabled if reorder else _ROW_FLAGS

    def can_reorder(self) -> bool:
        """Manual order can change only in manual sorting with every account shown."""
        return self._sort is SortMode.MANUAL and not self.filter_active

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data.setData(MIME_TYPE, QByteArray(",".join(str(r) for r in rows).encode("ascii")))
        return data

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME_TYPE):
            return False
        try:
            rows = [int(r) for r in bytes(data.data(MIME_TYPE).data()).decode().split(",")]
        except ValueError:
            return False
        target = row if row >= 0 else (parent.row() if parent.isValid() else self.rowCount())
        if len(rows) == 1:
            self.moveRows(QModelIndex(), rows[0], 1, QModelIndex(), target)
        # The move is done; returning False stops the view from also removing the source.
        return False

    def moveRows(
        self,
        sourceParent: _Index,
        sourceRow: int,
        count: int,
        destinationParent: _Index,
        destinationChild: int,
    ) -> bool:
        if not self.can_reorder() or count != 1:
            return False
        size = len(self._rows)
        if not (0 <= sourceRow < size and 0 <= destinationChild <= size):
            return False
        if destinationChild in (sourceRow, sourceRow + 1):
            return False
        moving = self._accounts[sourceRow]
        # Favourites stay pinned above the rest: a move across that line is refused.
        landing = destinationChild if destinationChild < sourceRow else destinationChild - 1
        if self._accounts[landing].favourite != moving.favourite:
            return False
        # The Python lists move first, so the views see the new order once told; then the
        # C++ list moves its label and tells them.
        _move(self._accounts, sourceRow, landing)
        _move(self._hay, sourceRow, landing)
        if not super().moveRows(QModelIndex(), sourceRow, 1, QModelIndex(), destinationChild):
            _move(self._accounts, landing, sourceRow)
            _move(self._hay, landing, sourceRow)
            return False
        positions = {a.uuid: i for i, a in enumerate(self._accounts)}
        self.order_changed.emit(positions)
        return True


def _move(items: list[Any], source: int, target: int) -> None:
    items.insert(target, items.pop(source))


def _tooltip(account: Account) -> str:
    lines = [account.label]
    if account.groups:
        lines.append(", ".join(account.groups))
    if account.note:
        lines.append(account.note)
    return "\n".join(lines)
