"""Stratum (formerly Authenticator Pro): plain JSON, both encrypted backups, and its database.

Encrypted: "AUTHENTICATORPRO" | salt (16) | IV (12) | AES-256-GCM with an Argon2id key
(3 passes, 4 lanes, 64 MiB); legacy: "AuthenticatorPro" | salt (20) | IV (16) | AES-256-CBC
with a PBKDF2-HMAC-SHA1 key (64000 iterations). The KDF parameters are fixed by the format,
not read from the file. The internal database (`authenticator.db3`) has the same fields in
lower case.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import ClassVar

from app.core.account import Account, Algorithm, OtpType
from app.formats import _crypto, _sqlite
from app.formats._common import (
    Entries,
    EntryError,
    JsonObject,
    as_list,
    b64decode,
    check_size,
    icon_uri,
    json_or_none,
    load_json,
    raw_json,
    secret_from_base32,
    to_int,
)
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.view import SourceView

WHAT = "a Stratum backup"
HEADER = b"AUTHENTICATORPRO"
LEGACY_HEADER = b"AuthenticatorPro"
_TYPES = {1: OtpType.HOTP, 2: OtpType.TOTP, 4: OtpType.STEAM}
_UNSUPPORTED = {3: "mOTP", 5: "Yandex"}
_ALGORITHMS = {0: Algorithm.SHA1, 1: Algorithm.SHA256, 2: Algorithm.SHA512}


def _backup(value: object) -> JsonObject | None:
    """`value` (the file as JSON) when it is a plain Stratum backup."""
    if isinstance(value, dict) and isinstance(value.get("Authenticators"), list):
        return value
    return None


def _is_database(schema: dict[str, set[str]] | None) -> bool:
    return schema is not None and {"issuer", "secret", "type"} <= schema.get("authenticator", set())


def _field(row: Mapping[str, object], key: str) -> object:
    """JSON uses "Issuer", the database "issuer": accept either."""
    return row[key] if key in row else row.get(key.lower())


def _text(row: Mapping[str, object], key: str) -> str:
    value = _field(row, key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EntryError(f"'{key}' is not text")
    return value


def _number(row: Mapping[str, object], key: str, default: int) -> int:
    value = _field(row, key)
    return default if value is None else to_int(value, f"'{key}'")


def _convert(
    row: Mapping[str, object], groups: Mapping[str, tuple[str, ...]], icons: Mapping[str, str]
) -> Account:
    type_code = _number(row, "Type", 2)
    if type_code in _UNSUPPORTED:
        raise EntryError(f"unsupported type: {_UNSUPPORTED[type_code]} codes")
    kind = _TYPES.get(type_code)
    if kind is None:
        raise EntryError("unsupported type")
    algorithm = _ALGORITHMS.get(_number(row, "Algorithm", 0))
    if algorithm is None:
        raise EntryError("unsupported algorithm")
    secret_text = _text(row, "Secret")
    icon = _field(row, "Icon")
    icon = icon if isinstance(icon, str) else ""
    return Account(
        secret=secret_from_base32(secret_text),
        type=kind,
        algorithm=algorithm,
        digits=_number(row, "Digits", 6),
        period=_number(row, "Period", 30) if kind is not OtpType.HOTP else 30,
        counter=_number(row, "Counter", 0) if kind is OtpType.HOTP else 0,
        issuer=_text(row, "Issuer"),
        name=_text(row, "Username"),
        groups=groups.get(secret_text, ()),
        icon=icons.get(icon[1:]) if icon.startswith("@") else None,
    )


def _objects(backup: JsonObject, key: str) -> list[JsonObject]:
    items = backup.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _json_groups(backup: JsonObject) -> dict[str, tuple[str, ...]]:
    names: dict[str, str] = {}
    for category in _objects(backup, "Categories"):
        cid, name = category.get("Id"), category.get("Name")
        if isinstance(cid, str) and isinstance(name, str) and name:
            names[cid] = name
    links: dict[str, tuple[str, ...]] = {}
    for link in _objects(backup, "AuthenticatorCategories"):
        cid, secret = link.get("CategoryId"), link.get("AuthenticatorSecret")
        if isinstance(cid, str) and isinstance(secret, str) and cid in names:
            links[secret] = (*links.get(secret, ()), names[cid])
    return links


def _json_icons(backup: JsonObject) -> dict[str, str]:
    icons: dict[str, str] = {}
    for icon in _objects(backup, "CustomIcons"):
        iid, data = icon.get("Id"), icon.get("Data")
        if isinstance(iid, str) and isinstance(data, str):
            try:
                uri = icon_uri(b64decode(data, "the icon"))
            except EntryError:
                uri = None
            if uri:
                icons[iid] = uri
    return icons


def _read_json(backup_value: object) -> ImportResult:
    if not isinstance(backup_value, dict) or not isinstance(
        backup_value.get("Authenticators"), list
    ):
        raise ImportFormatError(f"not {WHAT}: no Authenticators list")
    groups, icons = _json_groups(backup_value), _json_icons(backup_value)
    entries = Entries()
    entries.convert_all(
        as_list(backup_value["Authenticators"], "Authenticators"),
        lambda item: _convert(_as_row(item), groups, icons),
        raw_json,
    )
    return entries.result()


def _as_row(item: object) -> JsonObject:
    if not isinstance(item, dict):
        raise EntryError("the entry is not a JSON object")
    return item


def _decrypt(data: bytes, password: str) -> bytes:
    secret = password.encode("utf-8")
    if data.startswith(HEADER):
        salt, iv, body = data[16:32], data[32:44], data[44:]
        if len(body) < 16:
            raise ImportFormatError("the file is damaged: the encrypted data is cut short")
        key = _crypto.argon2id(
            secret, salt, iterations=3, lanes=4, memory_kib=1 << 16, budget=_crypto.KdfBudget()
        )
        plaintext = _crypto.aes_gcm_open(key, iv, body)
    else:
        salt, iv, body = data[16:36], data[36:52], data[52:]
        if len(iv) < 16:
            raise ImportFormatError("the file is damaged: the encrypted data is cut short")
        key = _crypto.pbkdf2(secret, salt, 64_000, "sha1", budget=_crypto.KdfBudget())
        plaintext = _crypto.aes_cbc_open(key, iv, body)
        if plaintext is not None and json_or_none(plaintext) is None:
            plaintext = None  # CBC has no tag: a wrong key can still give valid padding
    if plaintext is None:
        raise WrongPasswordError("wrong password for this Stratum backup")
    return plaintext


def _read_database(data: bytes) -> ImportResult:
    columns = ["type", "issuer", "username", "secret", "algorithm", "digits", "period"]
    try:
        with _sqlite.open_sqlite(data) as connection:
            rows = _sqlite.rows(connection, "authenticator", [*columns, "counter"])
            schema = _sqlite.tables(connection)
            groups: dict[str, tuple[str, ...]] = {}
            if "category" in schema and "authenticatorcategory" in schema:
                names = {
                    row["id"]: row["name"]
                    for row in _sqlite.rows(connection, "category", ["id", "name"])
                    if isinstance(row.get("id"), str) and isinstance(row.get("name"), str)
                }
                for link in _sqlite.rows(
                    connection, "authenticatorcategory", ["categoryId", "authenticatorSecret"]
                ):
                    cid, secret = link.get("categoryId"), link.get("authenticatorSecret")
                    name = names.get(cid) if isinstance(cid, str) else None
                    if isinstance(secret, str) and isinstance(name, str) and name:
                        groups[secret] = (*groups.get(secret, ()), name)
    except sqlite3.Error as error:
        raise _sqlite.damaged(error) from None
    entries = Entries()
    entries.convert_all(
        rows,
        lambda row: _convert(row, groups, {}),
        lambda row: raw_json({k: v for k, v in row.items() if not isinstance(v, bytes)}),
    )
    return entries.result()


class StratumImporter:
    name: ClassVar[str] = "stratum"
    title: ClassVar[str] = "Stratum (Authenticator Pro)"

    def sniff(self, source: SourceView) -> bool:
        return (
            source.data.startswith((HEADER, LEGACY_HEADER))
            or _backup(source.json) is not None
            or _is_database(source.sqlite_schema)
        )

    def needs_password(self, data: bytes) -> bool:
        return data.startswith((HEADER, LEGACY_HEADER))

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        if _sqlite.is_sqlite(data):
            return _read_database(data)
        if data.startswith((HEADER, LEGACY_HEADER)):
            if password is None:
                raise PasswordRequiredError("this Stratum backup is encrypted: give its password")
            return _read_json(load_json(_decrypt(data, password), f"{WHAT} (decrypted)"))
        return _read_json(load_json(data, WHAT))
