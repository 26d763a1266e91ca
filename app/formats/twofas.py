"""2FAS Authenticator backups (.2fas), schema versions 1-4, plain and encrypted.

Encrypted files carry `servicesEncrypted` = base64(ciphertext | tag) ":" base64(salt) ":"
base64(iv): AES-256-GCM under PBKDF2-HMAC-SHA256(password, salt, 10000). Schemas before 3
have no token type: every service is TOTP.
"""

from __future__ import annotations

from app.core.account import Account, OtpType
from app.formats import _crypto
from app.formats._common import (
    JsonObject,
    as_list,
    as_object,
    b64decode,
    names_by_id,
    opt_str,
    otp_settings,
    req_int,
    req_str,
    secret_from_base32,
)
from app.formats.base import Entries, EntryError, JsonImporter
from app.formats.errors import ImportFormatError

ITERATIONS = 10_000
SUPPORTED_SCHEMAS = range(1, 5)
_TYPES = {"TOTP": OtpType.TOTP, "HOTP": OtpType.HOTP, "STEAM": OtpType.STEAM}


def _encrypted_part(backup: JsonObject) -> str | None:
    value = backup.get("servicesEncrypted")
    return value if isinstance(value, str) and value else None


def _decrypt(blob: str, password: str) -> bytes | None:
    """The services' JSON, or None when the password is wrong."""
    parts = blob.split(":")
    if len(parts) < 3:
        raise ImportFormatError("the file is damaged: the encrypted services are malformed")
    data, salt, iv = (b64decode(part, "the encrypted services") for part in parts[:3])
    key = _crypto.pbkdf2(
        password.encode("utf-8"), salt, ITERATIONS, "sha256", budget=_crypto.KdfBudget()
    )
    return _crypto.aes_gcm_open(key, iv, data)


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
        **otp_settings(otp, kind),
        issuer=opt_str(service, "name") or opt_str(otp, "issuer"),
        name=opt_str(otp, "account"),
        groups=(group,) if group else (),
    )


class TwoFasImporter(JsonImporter[JsonObject]):
    name = "twofas"
    title = "2FAS Authenticator"
    document = "a 2FAS backup"
    missing = "no schemaVersion and services"

    def recognise(self, value: object) -> JsonObject | None:
        if isinstance(value, dict) and "schemaVersion" in value and "services" in value:
            return value
        return None

    def encrypted(self, document: JsonObject) -> bool:
        return _encrypted_part(document) is not None

    def collect_document(
        self, document: JsonObject, password: str | None, entries: Entries
    ) -> None:
        schema = req_int(document, "schemaVersion")
        if schema not in SUPPORTED_SCHEMAS:
            raise ImportFormatError(
                f"unsupported schema version {schema}: Keyfob reads 2FAS schemas 1 to 4"
            )
        blob = _encrypted_part(document)
        if blob is None:
            services = as_list(document.get("services"), "the service list")
        else:
            plaintext = _decrypt(blob, self.password_given(password))
            if plaintext is None:
                raise self.wrong_password()
            decrypted = self.load_json(plaintext, part="decrypted")
            services = as_list(decrypted, "the decrypted service list")
        groups = document.get("groups")
        names = names_by_id(groups if isinstance(groups, list) else (), "id")
        entries.convert_all(services, lambda item: _convert(item, schema, names))
