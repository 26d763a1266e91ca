"""The checks each column of the account table passes on its way in, one reader a column.

A reader takes a whole column and returns its values as Account fields, adding the index of
every row that fails to `bad` (those rows are kept aside as unreadable, never dropped). When
the whole column is fine, which is nearly always, it is checked at once in C (`set(map(type,
column))`, `min`, `max`); only a column with a bad value is gone through row by row.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Sequence
from functools import partial
from itertools import chain
from typing import Any

from app.core.account import (
    MAX_COUNTER,
    MAX_DIGITS,
    MAX_PERIOD,
    MAX_SECRET_BYTES,
    MIN_DIGITS,
    STEAM_DIGITS,
    Algorithm,
    OtpType,
)

ColumnReader = Callable[[Sequence[Any], set[int]], list[Any]]

_MAX_INT64 = 2**63 - 1
_TYPES = {t.value: t for t in OtpType}
_ALGORITHMS = {a.value: a for a in Algorithm}


def _mark(column: Sequence[Any], ok: Callable[[Any], bool], bad: set[int]) -> None:
    bad.update(i for i, value in enumerate(column) if not ok(value))


def _all_of(column: Sequence[Any], *kinds: type) -> bool:
    return set(map(type, column)) <= set(kinds)


def _texts(*, non_empty: bool = False) -> ColumnReader:
    def read(column: Sequence[Any], bad: set[int]) -> list[Any]:
        if not (_all_of(column, str) and (not non_empty or "" not in column)):
            _mark(column, lambda v: type(v) is str and (bool(v) or not non_empty), bad)
        return list(column)

    return read


def _choice(mapping: dict[str, Any]) -> ColumnReader:
    def read(column: Sequence[Any], bad: set[int]) -> list[Any]:
        if _all_of(column, str) and set(column) <= mapping.keys():
            return list(map(mapping.__getitem__, column))
        converted = [mapping.get(v) if type(v) is str else None for v in column]
        _mark(converted, lambda v: v is not None, bad)
        return converted

    return read


def _ints(low: int, high: int, *, nullable: bool = False) -> ColumnReader:
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


# By column name. The writer runs some of them too, to refuse what it could not read back.
COLUMN_READERS: dict[str, ColumnReader] = {
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


def check_digits(values: dict[str, list[Any]], bad: set[int]) -> None:
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
