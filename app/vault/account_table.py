"""The account table: how accounts are laid out in the plaintext, checked and rebuilt.

Accounts are stored as `{"fields": [...], "rows": [[...], ...]}` rather than one object per
account: with 10,000 accounts that halves the JSON work, and it lets every field be checked
a column at a time in C (`set(map(type, column))`, `min`, `max`) instead of account by
account. See FORMAT.md for the columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from itertools import compress
from operator import attrgetter
from typing import Any

from app.core.account import Account, new_uuid, now_seconds
from app.vault.account_columns import COLUMN_READERS, check_digits
from app.vault.encoding import b64encode
from app.vault.errors import VaultError, VaultFormatError

# The account table's columns, in the order they are written. A column name is the Account
# field name; "secret" holds standard padded base64 of the raw secret bytes.
ACCOUNT_FIELDS: tuple[str, ...] = (
    "uuid",
    "type",
    "issuer",
    "name",
    "secret",
    "algorithm",
    "digits",
    "period",
    "counter",
    "groups",
    "favourite",
    "note",
    "icon",
    "sort_position",
    "created",
    "updated",
    "last_used",
)

# Fields Account.__post_init__ leaves unchecked but the reader insists on.
_CHECKED_ON_WRITE = (
    "uuid",
    "favourite",
    "icon",
    "sort_position",
    "created",
    "updated",
    "last_used",
)

# Accounts are rebuilt without Account.__init__: its coercions and checks cost 4.7 us an
# account (47 ms for 10,000), while the column checks (app.vault.account_columns) enforce
# the same rules (and a few more) for the whole table at once. This is only sound while the
# vault knows every Account field; if app.core adds one, the plain constructor takes over
# (and a test fails, so the new field gets a column).
_FAST_BUILD = {f.name for f in fields(Account)} == set(ACCOUNT_FIELDS)
_SLOT_SETTERS: dict[str, Callable[[Account, Any], None]] = (
    {name: getattr(Account, name).__set__ for name in ACCOUNT_FIELDS} if _FAST_BUILD else {}
)


Table = dict[str, Any]


def encode_table(
    accounts: list[Account],
    account_extra: dict[str, dict[str, Any]],
    unreadable: list[dict[str, Any]],
) -> Table:
    """The table of `accounts`, plus kept unknown columns and unreadable rows.

    VaultError if an account holds a value the reader would not take back.
    """
    by_name = {name: list(map(attrgetter(name), accounts)) for name in ACCOUNT_FIELDS}
    _check_columns(by_name, accounts)
    by_name["secret"] = list(map(b64encode, by_name["secret"]))
    columns: list[Sequence[Any]] = [by_name[name] for name in ACCOUNT_FIELDS]
    names = list(ACCOUNT_FIELDS)
    extra_names = _extra_column_names(accounts, account_extra, unreadable)
    if extra_names:
        names.extend(extra_names)
        empty: dict[str, Any] = {}
        for name in extra_names:
            columns.append([account_extra.get(a.uuid, empty).get(name) for a in accounts])
    rows: list[Sequence[Any]] = list(zip(*columns, strict=True)) if accounts else []
    rows.extend([raw.get(name) for name in names] for raw in unreadable)
    return {"fields": names, "rows": rows}


def _extra_column_names(
    accounts: list[Account],
    account_extra: dict[str, dict[str, Any]],
    unreadable: list[dict[str, Any]],
) -> list[str]:
    names: dict[str, None] = {}
    if account_extra:
        present = {a.uuid for a in accounts}
        for uuid, values in account_extra.items():
            if uuid in present:
                names.update(dict.fromkeys(values))
    for raw in unreadable:
        names.update(dict.fromkeys(raw))
    return [name for name in names if name not in ACCOUNT_FIELDS]


def _check_columns(columns: dict[str, list[Any]], accounts: list[Account]) -> None:
    """Refuse to write what the reader would not take back (Account does not check these)."""
    for name in _CHECKED_ON_WRITE:
        bad: set[int] = set()
        COLUMN_READERS[name](columns[name], bad)
        if bad:
            label = accounts[min(bad)].label
            raise VaultError(f"the account {label!r} has an invalid {name}: it was not saved")


# --- reading -------------------------------------------------------------------------------


def decode_table(
    table: object,
) -> tuple[list[Account], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Accounts, unknown columns by uuid, and unreadable rows; VaultFormatError if malformed."""
    if table is None:
        return [], {}, []
    if not isinstance(table, dict):
        raise VaultFormatError("the vault's account table is not an object")
    names = table.get("fields")
    rows = table.get("rows")
    if (
        not isinstance(names, list)
        or not all(isinstance(n, str) for n in names)
        or len(set(names)) != len(names)
    ):
        raise VaultFormatError("the vault's account table has no valid list of fields")
    if not isinstance(rows, list) or not (
        set(map(type, rows)) <= {list} and set(map(len, rows)) <= {len(names)}
    ):
        raise VaultFormatError("the vault's account table has rows of the wrong shape")
    count = len(rows)
    columns: dict[str, Sequence[Any]] = (
        dict(zip(names, zip(*rows, strict=True), strict=True))
        if count
        else dict.fromkeys(names, ())
    )
    # The rows are columns now. Dropped here, they free their lists before the accounts are
    # built (when the caller holds no other reference, as content.decode_content does).
    del table, rows
    bad: set[int] = set()
    values = {name: _read_column(name, columns, count, bad) for name in ACCOUNT_FIELDS}
    check_digits(values, bad)

    accounts = _build_accounts(values, count, bad)
    unreadable = [{name: columns[name][i] for name in names} for i in sorted(bad)]
    extra_names = [n for n in names if n not in ACCOUNT_FIELDS]
    account_extra: dict[str, dict[str, Any]] = {}
    if extra_names:
        uuids = values["uuid"]
        for i in range(count):
            if i not in bad:
                account_extra[uuids[i]] = {n: columns[n][i] for n in extra_names}
    return accounts, account_extra, unreadable


def _read_column(
    name: str, columns: dict[str, Sequence[Any]], count: int, bad: set[int]
) -> list[Any]:
    """The column `name` converted to Account values; rows that fail are added to `bad`."""
    column = columns.get(name)
    if column is None:
        if name == "secret":
            bad.update(range(count))
            return [None] * count
        column = _default_column(name, count)
    reader = COLUMN_READERS[name]
    return reader(column, bad)


def _default_column(name: str, count: int) -> list[Any]:
    if name == "uuid":
        return [new_uuid() for _ in range(count)]
    if name in ("created", "updated"):
        return [now_seconds()] * count
    return [_FILE_DEFAULTS[name]] * count


_FILE_DEFAULTS: dict[str, Any] = {
    "type": "totp",
    "issuer": "",
    "name": "",
    "algorithm": "SHA1",
    "digits": 6,
    "period": 30,
    "counter": 0,
    "groups": [],
    "favourite": False,
    "note": "",
    "icon": None,
    "sort_position": 0,
    "last_used": None,
}


def _build_accounts(values: dict[str, list[Any]], count: int, bad: set[int]) -> list[Account]:
    if bad:
        keep = [i not in bad for i in range(count)]
        values = {name: list(compress(column, keep)) for name, column in values.items()}
    if not _FAST_BUILD:
        names = list(values)
        return [
            Account(**dict(zip(names, row, strict=True)))
            for row in zip(*values.values(), strict=True)
        ]
    return _build_fast(values)


def _build_fast(values: dict[str, list[Any]]) -> list[Account]:
    """Accounts from checked columns, one slot at a time (unrolled: a loop costs 30% more)."""
    new = object.__new__
    (
        set_uuid,
        set_type,
        set_issuer,
        set_name,
        set_secret,
        set_algorithm,
        set_digits,
        set_period,
        set_counter,
        set_groups,
        set_favourite,
        set_note,
        set_icon,
        set_sort_position,
        set_created,
        set_updated,
        set_last_used,
    ) = (_SLOT_SETTERS[name] for name in ACCOUNT_FIELDS)
    accounts: list[Account] = []
    append = accounts.append
    for (
        uuid,
        kind,
        issuer,
        name,
        secret,
        algorithm,
        digits,
        period,
        counter,
        groups,
        favourite,
        note,
        icon,
        sort_position,
        created,
        updated,
        last_used,
    ) in zip(*(values[name] for name in ACCOUNT_FIELDS), strict=True):
        account = new(Account)
        set_uuid(account, uuid)
        set_type(account, kind)
        set_issuer(account, issuer)
        set_name(account, name)
        set_secret(account, secret)
        set_algorithm(account, algorithm)
        set_digits(account, digits)
        set_period(account, period)
        set_counter(account, counter)
        set_groups(account, groups)
        set_favourite(account, favourite)
        set_note(account, note)
        set_icon(account, icon)
        set_sort_position(account, sort_position)
        set_created(account, created)
        set_updated(account, updated)
        set_last_used(account, last_used)
        append(account)
    return accounts
