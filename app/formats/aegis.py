"""Aegis Authenticator vault exports, plain and encrypted (password slots, scrypt).

Format: {"version": 1, "header": {"slots", "params"}, "db"}; `db` is the content object
(plain) or base64 of it encrypted with AES-256-GCM under a master key that each password
slot wraps with a scrypt-derived key. Content versions 1-3: v2 has a per-entry group name,
v3 lists of group uuids.
"""

from __future__ import annotations

import struct

from app.core.account import Account, OtpType
from app.formats import _crypto
from app.formats._common import (
    JsonObject,
    as_list,
    as_object,
    b64decode,
    hex_decode,
    icon_uri,
    names_by_id,
    opt_bool,
    opt_str,
    otp_settings,
    req_int,
    req_str,
    secret_from_base32,
)
from app.formats.base import Entries, EntryError, JsonImporter
from app.formats.errors import ImportFormatError
from app.vault.envelope import MAX_PASSWORD_SLOTS

PASSWORD_SLOT = 1
SUPPORTED_CONTENT = (1, 2, 3)
_UNSUPPORTED_TYPES = {"motp": "mOTP", "yandex": "Yandex"}


def _java_legacy_password(password: str) -> bytes:
    """The bytes old Aegis versions derived slot keys from (the "unrepaired" slots).

    Java's Charset.encode returned a buffer's whole backing array, zeros past the text
    included: the array starts at 1.1 bytes per UTF-16 unit and grows as 2n+1.
    For passwords up to 64 bytes the zeros change nothing (HMAC pads keys with zeros).
    """
    encoded = password.encode("utf-8")
    units = len(password.encode("utf-16-le")) // 2
    factor: float = struct.unpack("f", struct.pack("f", 1.1))[0]
    capacity = int(struct.unpack("f", struct.pack("f", units * factor))[0])
    while capacity < len(encoded):
        capacity = 2 * capacity + 1
    return encoded + b"\0" * (capacity - len(encoded))


def _gcm_params(obj: object, what: str) -> tuple[bytes, bytes]:
    params = as_object(obj, what)
    nonce = hex_decode(req_str(params, "nonce"), f"{what} nonce")
    tag = hex_decode(req_str(params, "tag"), f"{what} tag")
    if len(nonce) != 12 or len(tag) != 16:
        raise EntryError(f"{what} has a nonce or tag of the wrong length")
    return nonce, tag


def _password_slots(header: JsonObject) -> list[JsonObject]:
    """The password slots, at most as many as a Keyfob vault may have: each costs a scrypt
    run whenever the password is wrong, so a file listing a thousand is refused unread."""
    slots = as_list(header.get("slots"), "the slot list")
    password_slots = [
        as_object(slot, "a slot")
        for slot in slots
        if isinstance(slot, dict) and slot.get("type") == PASSWORD_SLOT
    ]
    if not password_slots:
        raise ImportFormatError(
            "this Aegis vault has no password slot: it can only be opened on the phone that "
            "made it; export it again from Aegis with a password"
        )
    if len(password_slots) > MAX_PASSWORD_SLOTS:
        raise ImportFormatError(
            f"this Aegis vault lists {len(password_slots)} password slots; Aegis writes one "
            f"and Keyfob tries at most {MAX_PASSWORD_SLOTS} (the file is damaged or was not "
            "made by Aegis)"
        )
    return password_slots


def _master_key(header: JsonObject, password: str) -> bytes | None:
    """The master key one of the password slots gives up, or None when none opens."""
    slots = _password_slots(header)
    tries: list[tuple[JsonObject, list[bytes]]] = []
    for slot in slots:
        candidates = [password.encode("utf-8")]
        if slot.get("repaired") is False and len(candidates[0]) > 64:
            candidates.append(_java_legacy_password(password))
        tries.append((slot, candidates))
    # Every derivation a wrong password would cost, checked before the first one runs.
    budget = _crypto.KdfBudget()
    budget.check_ahead(
        sum(
            len(candidates)
            * _crypto.scrypt_work(req_int(slot, "n"), req_int(slot, "r"), req_int(slot, "p"))
            for slot, candidates in tries
        )
    )
    for slot, candidates in tries:
        salt = hex_decode(req_str(slot, "salt"), "the slot salt")
        wrapped = hex_decode(req_str(slot, "key"), "the slot key")
        nonce, tag = _gcm_params(slot.get("key_params"), "the slot key parameters")
        for secret in candidates:
            kek = _crypto.scrypt(
                secret,
                salt,
                req_int(slot, "n"),
                req_int(slot, "r"),
                req_int(slot, "p"),
                budget=budget,
            )
            key = _crypto.aes_gcm_open(kek, nonce, wrapped + tag)
            if key is not None:
                if len(key) != 32:
                    raise ImportFormatError("the file is damaged: the master key is malformed")
                return key
    return None


def _icon(entry: JsonObject) -> str | None:
    icon = entry.get("icon")
    if not isinstance(icon, str) or not icon:
        return None
    try:
        image = b64decode(icon, "the icon")
    except EntryError:
        return None  # a broken icon is not worth losing the account over
    mime = entry.get("icon_mime")
    return icon_uri(image, mime if isinstance(mime, str) else None)


def _groups(entry: JsonObject, group_names: dict[str, str]) -> tuple[str, ...]:
    names: list[str] = []
    legacy = entry.get("group")
    if isinstance(legacy, str) and legacy:
        names.append(legacy)
    uuids = entry.get("groups")
    if isinstance(uuids, list):
        for uuid in uuids:
            name = group_names.get(uuid) if isinstance(uuid, str) else None
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _convert(entry_value: object, group_names: dict[str, str]) -> Account:
    entry = as_object(entry_value, "the entry")
    kind = req_str(entry, "type").lower()
    if kind in _UNSUPPORTED_TYPES:
        raise EntryError(f"unsupported type: {_UNSUPPORTED_TYPES[kind]} codes")
    if kind not in ("totp", "hotp", "steam"):
        raise EntryError("unsupported type")
    info = as_object(entry.get("info"), "'info'")
    return Account(
        secret=secret_from_base32(req_str(info, "secret")),
        **otp_settings(info, OtpType(kind), algorithm_key="algo"),
        issuer=opt_str(entry, "issuer"),
        name=opt_str(entry, "name"),
        note=opt_str(entry, "note"),
        favourite=opt_bool(entry, "favorite"),
        icon=_icon(entry),
        groups=_groups(entry, group_names),
    )


class AegisImporter(JsonImporter[JsonObject]):
    name = "aegis"
    title = "Aegis Authenticator"
    document = "an Aegis vault"
    missing = "no header and db"

    def recognise(self, value: object) -> JsonObject | None:
        if not isinstance(value, dict):
            return None
        header = value.get("header")
        if (
            isinstance(header, dict)
            and "slots" in header
            and "params" in header
            and "db" in value
            and "version" in value
        ):
            return value
        return None

    def encrypted(self, document: JsonObject) -> bool:
        header = document.get("header")
        return isinstance(header, dict) and (
            header.get("slots") is not None or header.get("params") is not None
        )

    def collect_document(
        self, document: JsonObject, password: str | None, entries: Entries
    ) -> None:
        version = req_int(document, "version")
        if version != 1:
            raise ImportFormatError(
                f"unsupported Aegis vault version {version}: Keyfob reads version 1"
            )
        encrypted = self.encrypted(document)
        content = as_object(
            self._decrypt(document, password) if encrypted else document.get("db"),
            "the vault content",
        )
        version = req_int(content, "version")
        if version not in SUPPORTED_CONTENT:
            raise ImportFormatError(
                f"unsupported Aegis content version {version}: update Keyfob, or export again "
                "from an older Aegis"
            )
        group_names = names_by_id(as_list(content.get("groups", []), "the group list"), "uuid")
        entries.convert_all(
            as_list(content.get("entries"), "the entry list"),
            lambda entry: _convert(entry, group_names),
        )

    def _decrypt(self, document: JsonObject, password: str | None) -> object:
        password = self.password_given(password)
        header = as_object(document.get("header"), "the header")
        key = _master_key(header, password)
        if key is None:
            raise self.wrong_password()
        nonce, tag = _gcm_params(header.get("params"), "the content parameters")
        db = document.get("db")
        if not isinstance(db, str):
            raise EntryError("the encrypted content is missing")
        plaintext = _crypto.aes_gcm_open(key, nonce, b64decode(db, "the encrypted content") + tag)
        if plaintext is None:
            raise ImportFormatError(
                "the file is damaged: the password is right but the vault content does not decrypt"
            )
        return self.load_json(plaintext, part="decrypted content")
