"""2FAS Authenticator backups (.2fas), schema versions 1-4, plain and encrypted.

Encrypted files carry `servicesEncrypted` = base64(ciphertext | tag) ":" base64(salt) ":"
base64(iv): AES-256-GCM under PBKDF2-HMAC-SHA256(password, salt, 10000). Schemas before 3
have no token type: every service is TOTP.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.account import Account, OtpType
from app.formats import _crypto
from app.formats._common import (
    Entries,
    EntryError,
    JsonObject,
    algorithm,
    as_list,
    as_object,
    b64decode,
    check_size,
    file_damaged,
    json_or_none,
    load_json,
    opt_int,
    opt_str,
    raw_json,
    req_int,
    req_str,
    secret_from_base32,
)
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.view import SourceView

WHAT = "a 2FAS backup"
ITERATIONS = 10_000
SUPPORTED_SCHEMAS = range(1, 5)
_TYPES = {"TOTP": OtpType.TOTP, "HOTP": OtpType.HOTP, "STEAM": OtpType.STEAM}


def _backup(value: object) -> JsonObject | None:
    """`value` (the file as JSON) when it is a 2FAS backup."""
    if isinstance(value, dict) and "schemaVersion" in value and "services" in value:
        return value
    return None


def _encrypted_part(backup: JsonObject) -> str | None:
    value = backup.get("servicesEncrypted")
    return value if isinstance(value, str) and value else None


def _decrypt(blob: str, password: str) -> bytes:
    parts = blob.split(":")
    if len(parts) < 3:
        raise ImportFormatError("the file is damaged: the encrypted services are malformed")
    data, salt, iv = (b64decode(part, "the encrypted services") for part in parts[:3])
    key = _crypto.pbkdf2(
        password.encode("utf-8"), salt, ITERATIONS, "sha256", budget=_crypto.KdfBudget()
    )
    plaintext = _crypto.aes_gcm_open(key, iv, data)
    if plaintext is None:
        raise WrongPasswordError("wrong password for this 2FAS backup")
    return plaintext


def _convert(value: object, schema: int, groups: dict[str, str]) -> Account:
    service = as_object(value, "the service")
    otp = as_object(service.get("otp", {}), "'otp'")
    kind = _TYPES.get(opt_str(otp, "tokenType", "TOTP").upper()) if schema >= 3 else OtpType.TOTP
    if kind is None:
        raise EntryError("unsupported type")
    group_id = service.get("groupId")
    group = groups.get(group_id) if isinstance(group_id, str) else None
    return Account(
        secret=secret_from_base32(req_str(service, "secret")),
        type=kind,
        algorithm=algorithm(opt_str(otp, "algorithm", "SHA1")),
        digits=opt_int(otp, "digits", 6),
        period=opt_int(otp, "period", 30) if kind is not OtpType.HOTP else 30,
        counter=req_int(otp, "counter") if kind is OtpType.HOTP else 0,
        issuer=opt_str(service, "name") or opt_str(otp, "issuer"),
        name=opt_str(otp, "account"),
        groups=(group,) if group else (),
    )


def _group_names(backup: JsonObject) -> dict[str, str]:
    names: dict[str, str] = {}
    groups = backup.get("groups")
    for group in groups if isinstance(groups, list) else ():
        if isinstance(group, dict):
            group_id, name = group.get("id"), group.get("name")
            if isinstance(group_id, str) and isinstance(name, str) and name:
                names[group_id] = name
    return names


class TwoFasImporter:
    name: ClassVar[str] = "twofas"
    title: ClassVar[str] = "2FAS Authenticator"

    def sniff(self, source: SourceView) -> bool:
        return _backup(source.json) is not None

    def needs_password(self, data: bytes) -> bool:
        backup = _backup(json_or_none(data))
        return backup is not None and _encrypted_part(backup) is not None

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        backup = _backup(json_or_none(data))
        if backup is None:
            raise ImportFormatError(f"not {WHAT}: no schemaVersion and services")
        try:
            schema = req_int(backup, "schemaVersion")
            if schema not in SUPPORTED_SCHEMAS:
                raise ImportFormatError(
                    f"unsupported schema version {schema}: Keyfob reads 2FAS schemas 1 to 4"
                )
            blob = _encrypted_part(backup)
            if blob is None:
                services = as_list(backup.get("services"), "the service list")
            else:
                if password is None:
                    raise PasswordRequiredError("this 2FAS backup is encrypted: give its password")
                decrypted = load_json(_decrypt(blob, password), f"{WHAT} (decrypted)")
                services = as_list(decrypted, "the decrypted service list")
        except EntryError as error:
            raise file_damaged(error) from None
        groups = _group_names(backup)
        entries = Entries()
        entries.convert_all(services, lambda item: _convert(item, schema, groups), raw_json)
        return entries.result()
