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

from app.core.account import Account, Algorithm, OtpType
from app.formats import _crypto, _sqlite
from app.formats._common import (
    JsonObject,
    as_list,
    b64decode,
    icon_uri,
    json_or_none,
    names_by_id,
    secret_from_base32,
    to_int,
)
from app.formats.base import Entries, EntryError, FileImporter, raw_json
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView

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
    names = names_by_id(_objects(backup, "Categories"), "Id", "Name")
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


def _read_json(backup: JsonObject, entries: Entries) -> None:
    groups, icons = _json_groups(backup), _json_icons(backup)
    entries.convert_all(
        as_list(backup["Authenticators"], "Authenticators"),
        lambda item: _convert(_as_row(item), groups, icons),
    )


def _as_row(item: object) -> JsonObject:
    if not isinstance(item, dict):
        raise EntryError("the entry is not a JSON object")
    return item


def _decrypt(data: bytes, password: str) -> bytes | None:
    """The backup's JSON, or None when the password is wrong."""
    secret = password.encode("utf-8")
    if data.startswith(HEADER):
        salt, iv, body = data[16:32], data[32:44], data[44:]
        if len(body) < 16:
            raise ImportFormatError("the file is damaged: the encrypted data is cut short")
        key = _crypto.argon2id(
            secret, salt, iterations=3, lanes=4, memory_kib=1 << 16, budget=_crypto.KdfBudget()
        )
        return _crypto.aes_gcm_open(key, iv, body)
    salt, iv, body = data[16:36], data[36:52], data[52:]
    if len(iv) < 16:
        raise ImportFormatError("the file is damaged: the encrypted data is cut short")
    key = _crypto.pbkdf2(secret, salt, 64_000, "sha1", budget=_crypto.KdfBudget())
    plaintext = _crypto.aes_cbc_open(key, iv, body)
    if plaintext is not None and json_or_none(plaintext) is None:
        return None  # CBC has no tag: a wrong key can still give valid padding
    return plaintext


def _read_database(data: bytes, entries: Entries) -> None:
    columns = ["type", "issuer", "username", "secret", "algorithm", "digits", "period"]
    try:
        with _sqlite.open_sqlite(data) as connection:
            rows = _sqlite.rows(connection, "authenticator", [*columns, "counter"])
            schema = _sqlite.tables(connection)
            groups: dict[str, tuple[str, ...]] = {}
            if "category" in schema and "authenticatorcategory" in schema:
                names = names_by_id(_sqlite.rows(connection, "category", ["id", "name"]), "id")
                for link in _sqlite.rows(
                    connection, "authenticatorcategory", ["categoryId", "authenticatorSecret"]
                ):
                    cid, secret = link.get("categoryId"), link.get("authenticatorSecret")
                    name = names.get(cid) if isinstance(cid, str) else None
                    if isinstance(secret, str) and name:
                        groups[secret] = (*groups.get(secret, ()), name)
    except sqlite3.Error as error:
        raise _sqlite.damaged(error) from None
    entries.convert_all(
        rows,
        lambda row: _convert(row, groups, {}),
        lambda row: raw_json({k: v for k, v in row.items() if not isinstance(v, bytes)}),
    )


class StratumImporter(FileImporter):
    name = "stratum"
    title = "Stratum (Authenticator Pro)"
    document = "a Stratum backup"

    def sniff(self, source: SourceView) -> bool:
        return (
            source.data.startswith((HEADER, LEGACY_HEADER))
            or _backup(source.json) is not None
            or _is_database(source.sqlite_schema)
        )

    def needs_password(self, data: bytes) -> bool:
        return data.startswith((HEADER, LEGACY_HEADER))

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        if _sqlite.is_sqlite(source.data):
            _read_database(source.data, entries)
            return
        if source.data.startswith((HEADER, LEGACY_HEADER)):
            plaintext = _decrypt(source.data, self.password_given(password))
            if plaintext is None:
                raise self.wrong_password()
            backup = _backup(self.load_json(plaintext, part="decrypted"))
        else:
            backup = _backup(self.load_json(source.data))
        if backup is None:
            raise self.not_this("no Authenticators list")
        _read_json(backup, entries)
