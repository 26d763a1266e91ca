"""The account table: how accounts are laid out in the plaintext, checked and rebuilt.

Accounts are stored as `{"fields": [...], "rows": [[...], ...]}` rather than one object per
account: with 10,000 accounts that halves the JSON work, and it lets every field be checked
a column at a time in C (`set(map(type, column))`, `min`, `max`) instead of account by
account. See FORMAT.md for the columns.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import partial
from itertools import chain, compress
from operator import attrgetter
from typing import Any

from app.core.account import (
    MAX_COUNTER,
    MAX_DIGITS,
    MAX_PERIOD,
    MAX_SECRET_BYTES,
    MIN_DIGITS,
    STEAM_DIGITS,
    Account,
    Algorithm,
    OtpType,
    new_uuid,
    now_seconds,
)
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
_MAX_INT64 = 2**63 - 1

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
_TYPES = {t.value: t for t in OtpType}
_ALGORITHMS = {a.value: a for a in Algorithm}

# Accounts are rebuilt without Account.__init__: its coercions and checks cost 4.7 us an
# account (47 ms for 10,000), while the column checks below enforce the same rules (and a
# few more) for the whole table at once. This is only sound while the vault knows every
# Account field; if app.core adds one, the plain constructor takes over (and a test fails,
# so the new field gets a column).
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
        _COLUMN_READERS[name](columns[name], bad)
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
    bad: set[int] = set()
    values = {name: _read_column(name, columns, count, bad) for name in ACCOUNT_FIELDS}
    _check_digits(values, bad)

    accounts = _build_accounts(values, count, bad)
    unreadable = [dict(zip(names, rows[i], strict=True)) for i in sorted(bad)]
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
    reader = _COLUMN_READERS[name]
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


def _mark(column: Sequence[Any], ok: Callable[[Any], bool], bad: set[int]) -> None:
    bad.update(i for i, value in enumerate(column) if not ok(value))


def _all_of(column: Sequence[Any], *kinds: type) -> bool:
    return set(map(type, column)) <= set(kinds)


def _texts(*, non_empty: bool = False) -> Callable[[Sequence[Any], set[int]], list[Any]]:
    def read(column: Sequence[Any], bad: set[int]) -> list[Any]:
        if not (_all_of(column, str) and (not non_empty or "" not in column)):
            _mark(column, lambda v: type(v) is str and (bool(v) or not non_empty), bad)
        return list(column)

    return read


def _choice(mapping: dict[str, Any]) -> Callable[[Sequence[Any], set[int]], list[Any]]:
    def read(column: Sequence[Any], bad: set[int]) -> list[Any]:
        if _all_of(column, str) and set(column) <= mapping.keys():
            return list(map(mapping.__getitem__, column))
        converted = [mapping.get(v) if type(v) is str else None for v in column]
        _mark(converted, lambda v: v is not None, bad)
        return converted

    return read


def _ints(
    low: int, high: int, *, nullable: bool = False
) -> Callable[[Sequence[Any], set[int]], list[Any]]:
    def ok(value: Any) -> bool:
        if value is None:
            return nullable
        return type(value) is int and low <= value <= high

    def read(column: Sequence[Any], bad: set[int]) -> list[Any]:
        numbers = [v for v in column if v is not None] if nullable else column
        fine = _all_of(numbers, int) and (
            not numbers or (low <= min(numbers) and max(numbers) <= high)
        )
        if not fine or (not nullable and None in column):
            _mark(column, ok, bad)
        return list(column)

    return read


def _read_bools(column: Sequence[Any], bad: set[int]) -> list[Any]:
    if not _all_of(column, bool):
        _mark(column, lambda v: type(v) is bool, bad)
    return list(column)


def _read_icons(column: Sequence[Any], bad: set[int]) -> list[Any]:
    if not _all_of(column, str, type(None)):
        _mark(column, lambda v: v is None or type(v) is str, bad)
    return list(column)


def _group_list_ok(value: Any) -> bool:
    return type(value) is list and all(type(g) is str and g for g in value)


def _read_groups(column: Sequence[Any], bad: set[int]) -> list[Any]:
    if _all_of(column, list):
        names = list(chain.from_iterable(column))
        if _all_of(names, str) and "" not in names:
            return list(map(tuple, column))
    _mark(column, _group_list_ok, bad)
    return [tuple(v) if _group_list_ok(v) else None for v in column]


def _decode_secret(value: Any) -> bytes | None:
    if type(value) is not str:
        return None
    try:
        secret = _a2b_strict(value)
    except (binascii.Error, ValueError):
        return None
    return secret if 0 < len(secret) <= MAX_SECRET_BYTES else None


_a2b_strict = partial(binascii.a2b_base64, strict_mode=True)


def _read_secrets(column: Sequence[Any], bad: set[int]) -> list[Any]:
    if _all_of(column, str):
        try:
            secrets = list(map(_a2b_strict, column))  # the whole column in C when all is well
        except (binascii.Error, ValueError):
            pass
        else:
            lengths = set(map(len, secrets))
            if not secrets or (min(lengths) > 0 and max(lengths) <= MAX_SECRET_BYTES):
                return secrets
    decoded = list(map(_decode_secret, column))
    _mark(decoded, lambda v: v is not None, bad)
    return decoded


_COLUMN_READERS: dict[str, Callable[[Sequence[Any], set[int]], list[Any]]] = {
    "uuid": _texts(non_empty=True),
    "type": _choice(_TYPES),
    "issuer": _texts(),
    "name": _texts(),
    "secret": _read_secrets,
    "algorithm": _choice(_ALGORITHMS),
    "digits": _ints(STEAM_DIGITS, MAX_DIGITS),
    "period": _ints(1, MAX_PERIOD),
    "counter": _ints(0, MAX_COUNTER),
    "groups": _read_groups,
    "favourite": _read_bools,
    "note": _texts(),
    "icon": _read_icons,
    "sort_position": _ints(-_MAX_INT64, _MAX_INT64),
    "created": _ints(-_MAX_INT64, _MAX_INT64),
    "updated": _ints(-_MAX_INT64, _MAX_INT64),
    "last_used": _ints(-_MAX_INT64, _MAX_INT64, nullable=True),
}


def _check_digits(values: dict[str, list[Any]], bad: set[int]) -> None:
    """Steam codes are 5 characters of SHA1; every other type has 6-10 digits."""
    steam = OtpType.STEAM
    sha1 = Algorithm.SHA1
    kinds, digits_column = values["type"], values["digits"]
    if (
        steam not in kinds
        and not bad
        and digits_column
        and min(digits_column) >= MIN_DIGITS
        and max(digits_column) <= MAX_DIGITS
    ):
        return  # the common case, checked in C
    for i, (kind, digits, algorithm) in enumerate(
        zip(values["type"], values["digits"], values["algorithm"], strict=True)
    ):
        if i in bad:
            continue
        if kind is steam:
            if digits != STEAM_DIGITS or algorithm is not sha1:
                bad.add(i)
        elif not MIN_DIGITS <= digits <= MAX_DIGITS:
            bad.add(i)


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
