"""The project's own import fixtures: files in each app's format, written here from scratch.

Each builder writes what the app itself would write (same layout, same cryptography), with
cheap KDF parameters where the format lets the file choose them, so tests stay fast.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import sqlite3
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.core.account import Account, Algorithm, OtpType
from app.core.secret import encode_base32
from app.core.uri import build_otpauth

PASSWORD = "correct horse"


@dataclass(frozen=True)
class Sample:
    """An account as the tests expect it back."""

    type: str
    issuer: str
    name: str
    secret: bytes
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    counter: int = 0

    @property
    def b32(self) -> str:
        return encode_base32(self.secret)

    def account(self) -> Account:
        return Account(
            secret=self.secret,
            type=OtpType(self.type),
            issuer=self.issuer,
            name=self.name,
            algorithm=Algorithm(self.algorithm),
            digits=self.digits,
            period=self.period,
            counter=self.counter,
        )


TOTP = Sample("totp", "ACME Co", "alice@example.com", b"12345678901234567890")
TOTP256 = Sample("totp", "Example", "bob", bytes(range(32)), "SHA256", 8, 60)
HOTP = Sample(
    "hotp", "Hotp Inc", "carol", b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", "SHA512", 7, 30, 42
)
STEAM = Sample("steam", "Valve", "dave", b"steam-secret-bytes!!", "SHA1", 5)
ALL = (TOTP, TOTP256, HOTP, STEAM)
NO_STEAM = (TOTP, TOTP256, HOTP)
GOOGLE = (
    TOTP,
    Sample("hotp", "Counter Co", "erin", b"0123456789", "SHA1", 6, 30, 5),
)  # what it can hold


def key(account: Account | Sample) -> tuple[str, str, str, bytes, str, int, int, int]:
    """What a user would compare: type, issuer, name, secret and the code parameters."""
    hotp = str(account.type) == "hotp"
    return (
        str(account.type),
        account.issuer,
        account.name,
        account.secret,
        str(account.algorithm),
        account.digits,
        0 if hotp else account.period,
        account.counter if hotp else 0,
    )


def keys(
    items: Sequence[Account | Sample],
) -> list[tuple[str, str, str, bytes, str, int, int, int]]:
    return [key(item) for item in items]


def _json(value: object) -> bytes:
    return json.dumps(value, indent=2).encode("utf-8")


def gcm(key_bytes: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None = None) -> bytes:
    return AESGCM(key_bytes).encrypt(nonce, plaintext, aad)


def cbc(key_bytes: bytes, iv: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key_bytes), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


# --- Aegis -------------------------------------------------------------------------------


def aegis_entry(sample: Sample, **extra: object) -> dict[str, Any]:
    info: dict[str, object] = {
        "secret": sample.b32,
        "algo": sample.algorithm,
        "digits": sample.digits,
    }
    if sample.type == "hotp":
        info["counter"] = sample.counter
    else:
        info["period"] = sample.period
    return {
        "type": sample.type,
        "uuid": "00000000-0000-4000-8000-000000000000",
        "name": sample.name,
        "issuer": sample.issuer,
        "note": "",
        "favorite": False,
        "icon": None,
        "icon_mime": None,
        "icon_hash": None,
        "info": info,
        "groups": [],
        **extra,
    }


def aegis_content(
    entries: list[dict[str, object]], groups: list[dict[str, str]] | None = None
) -> dict[str, object]:
    return {"version": 3, "entries": entries, "groups": groups or [], "icons_optimized": True}


def aegis_plain(content: dict[str, object]) -> bytes:
    return _json({"version": 1, "header": {"slots": None, "params": None}, "db": content})


def aegis_encrypted(
    content: dict[str, object],
    password: str = PASSWORD,
    *,
    n: int = 1024,
    password_bytes: bytes | None = None,
    repaired: bool = True,
) -> bytes:
    master = os.urandom(32)
    salt = os.urandom(32)
    kek = Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(
        password_bytes if password_bytes is not None else password.encode("utf-8")
    )
    slot_nonce = os.urandom(12)
    wrapped = gcm(kek, slot_nonce, master)
    nonce = os.urandom(12)
    sealed = gcm(master, nonce, json.dumps(content).encode("utf-8"))
    slot = {
        "type": 1,
        "uuid": "11111111-1111-4111-8111-111111111111",
        "key": wrapped[:-16].hex(),
        "key_params": {"nonce": slot_nonce.hex(), "tag": wrapped[-16:].hex()},
        "n": n,
        "r": 8,
        "p": 1,
        "salt": salt.hex(),
        "repaired": repaired,
    }
    return _json(
        {
            "version": 1,
            "header": {
                "slots": [slot],
                "params": {"nonce": nonce.hex(), "tag": sealed[-16:].hex()},
            },
            "db": base64.b64encode(sealed[:-16]).decode("ascii"),
        }
    )


# --- andOTP ------------------------------------------------------------------------------


def andotp_entry(sample: Sample, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "secret": base64.b32encode(sample.secret).decode(),
        "issuer": sample.issuer,
        "label": sample.name,
        "digits": sample.digits,
        "type": sample.type.upper(),
        "algorithm": sample.algorithm,
        "thumbnail": "Default",
        "last_used": 0,
        "used_frequency": 0,
        "tags": [],
    }
    if sample.type == "hotp":
        entry["counter"] = sample.counter
    else:
        entry["period"] = sample.period
    entry.update(extra)
    return entry


def andotp_plain(entries: Sequence[object]) -> bytes:
    return json.dumps(entries).encode("utf-8")


def andotp_encrypted(
    entries: list[dict[str, object]], password: str = PASSWORD, iterations: int = 1000
) -> bytes:
    salt, nonce = os.urandom(12), os.urandom(12)
    key_bytes = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, iterations, 32)
    return (
        struct.pack(">I", iterations) + salt + nonce + gcm(key_bytes, nonce, andotp_plain(entries))
    )


def andotp_encrypted_old(entries: list[dict[str, object]], password: str = PASSWORD) -> bytes:
    nonce = os.urandom(12)
    return nonce + gcm(hashlib.sha256(password.encode()).digest(), nonce, andotp_plain(entries))


# --- 2FAS --------------------------------------------------------------------------------


def twofas_service(sample: Sample, schema: int = 4, **extra: object) -> dict[str, Any]:
    otp: dict[str, object] = {
        "label": sample.name,
        "account": sample.name,
        "issuer": sample.issuer,
        "digits": sample.digits,
        "algorithm": sample.algorithm,
    }
    if schema >= 3:
        otp["tokenType"] = sample.type.upper()
    if sample.type == "hotp":
        otp["counter"] = sample.counter
    else:
        otp["period"] = sample.period
    return {
        "name": sample.issuer,
        "secret": sample.b32,
        "otp": otp,
        "order": {"position": 0},
        **extra,
    }


def twofas(
    services: list[dict[str, object]],
    schema: int = 4,
    password: str | None = None,
    groups: list[dict[str, object]] | None = None,
) -> bytes:
    backup: dict[str, object] = {
        "services": services,
        "groups": groups or [],
        "schemaVersion": schema,
        "appOrigin": "android",
        "appVersionCode": 5000009,
    }
    if password is not None:
        salt, iv = os.urandom(256), os.urandom(12)
        key_bytes = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000, 32)
        sealed = gcm(key_bytes, iv, json.dumps(services).encode())
        backup["services"] = []
        backup["servicesEncrypted"] = ":".join(
            base64.b64encode(part).decode() for part in (sealed, salt, iv)
        )
    return _json(backup)


# --- FreeOTP / FreeOTP+ ------------------------------------------------------------------


def signed(data: bytes) -> list[int]:
    return [b - 256 if b > 127 else b for b in data]


def freeotp_token(sample: Sample, *, with_secret: bool = True) -> dict[str, object]:
    token: dict[str, object] = {
        "algo": sample.algorithm,
        "counter": sample.counter,
        "digits": sample.digits,
        "issuerExt": sample.issuer,
        "issuerInt": sample.issuer,
        "label": sample.name,
        "period": sample.period,
        "type": "HOTP" if sample.type == "hotp" else "TOTP",
    }
    if with_secret:
        token["secret"] = signed(sample.secret)
    return token


def shared_prefs(strings: dict[str, str], others: str = "") -> bytes:
    body = "".join(
        f"    <string name={quoteattr(name)}>{escape(value)}</string>\n"
        for name, value in strings.items()
    )
    head = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>"
    return f"{head}\n<map>\n{body}{others}</map>\n".encode()


def freeotp_v1(tokens: list[dict[str, object]]) -> bytes:
    strings = {f"{t['issuerExt']}:{t['label']}": json.dumps(t) for t in tokens}
    strings["tokenOrder"] = json.dumps(list(strings))
    return shared_prefs(strings)


def freeotp_plus(tokens: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {"tokenOrder": [f"{t['issuerExt']}:{t['label']}" for t in tokens], "tokens": tokens}
    ).encode()


def java_hashmap(entries: dict[str, str]) -> bytes:
    """A java.util.HashMap<String, String> as ObjectOutputStream writes it."""

    def string(text: str) -> bytes:
        raw = text.encode("utf-8")
        if len(raw) < 0x10000:
            return b"\x74" + struct.pack(">H", len(raw)) + raw
        return b"\x7c" + struct.pack(">q", len(raw)) + raw

    out = bytearray(b"\xac\xed\x00\x05\x73\x72")
    name = b"java.util.HashMap"
    out += struct.pack(">H", len(name)) + name
    out += struct.pack(">q", 362498820763181265) + b"\x03" + struct.pack(">H", 2)
    out += b"F" + struct.pack(">H", 10) + b"loadFactor"
    out += b"I" + struct.pack(">H", 9) + b"threshold"
    out += b"\x78\x70" + struct.pack(">fi", 0.75, 12)
    out += b"\x77\x08" + struct.pack(">ii", 16, len(entries))
    for k, v in entries.items():
        out += string(k) + string(v)
    out += b"\x78"
    return bytes(out)


def _encrypted_key(
    key_bytes: bytes, plaintext: bytes, token: str, *, bare_nonce: bool = False
) -> dict[str, object]:
    nonce = os.urandom(12)
    sealed = gcm(key_bytes, nonce, plaintext, token.encode())
    params = b"\x04\x0c" + nonce if bare_nonce else b"\x30\x11\x04\x0c" + nonce + b"\x02\x01\x10"
    return {
        "mCipher": "AES/GCM/NoPadding",
        "mCipherText": signed(sealed),
        "mParameters": signed(params),
        "mToken": token,
    }


def freeotp_v2(
    samples: Sequence[Sample],
    password: str = PASSWORD,
    iterations: int = 1000,
    algorithm: str = "PBKDF2withHmacSHA512",
) -> bytes:
    master = os.urandom(32)
    salt = os.urandom(32)
    hash_name = "sha512" if algorithm.endswith("512") else "sha1"
    kek = hashlib.pbkdf2_hmac(hash_name, password.encode(), salt, iterations, 32)
    entries = {
        "masterKey": json.dumps(
            {
                "mAlgorithm": algorithm,
                "mEncryptedKey": _encrypted_key(kek, master, "AES", bare_nonce=True),
                "mIterations": iterations,
                "mSalt": signed(salt),
            }
        )
    }
    for index, sample in enumerate(samples):
        uuid = f"00000000-0000-4000-8000-{index:012d}"
        hmac_name = "HmacSHA" + sample.algorithm.removeprefix("SHA")
        wrapped = _encrypted_key(master, sample.secret, hmac_name)
        entries[uuid] = json.dumps({"key": json.dumps(wrapped)})
        entries[f"{uuid}-token"] = json.dumps(freeotp_token(sample, with_secret=False))
    return java_hashmap(entries)


# --- Stratum -----------------------------------------------------------------------------

_STRATUM_TYPES = {"hotp": 1, "totp": 2, "steam": 4}
_STRATUM_ALGORITHMS = {"SHA1": 0, "SHA256": 1, "SHA512": 2}


def stratum_entry(sample: Sample, **extra: object) -> dict[str, object]:
    return {
        "Type": _STRATUM_TYPES[sample.type],
        "Icon": None,
        "Issuer": sample.issuer,
        "Username": sample.name,
        "Secret": sample.b32,
        "Pin": None,
        "Algorithm": _STRATUM_ALGORITHMS[sample.algorithm],
        "Digits": sample.digits,
        "Period": sample.period,
        "Counter": sample.counter,
        "Ranking": 0,
        **extra,
    }


def stratum_plain(entries: list[dict[str, object]], **extra: object) -> bytes:
    backup: dict[str, object] = {
        "Authenticators": entries,
        "Categories": [],
        "AuthenticatorCategories": [],
        "CustomIcons": [],
    }
    backup.update(extra)
    return json.dumps(backup).encode()


def stratum_encrypted(plain: bytes, password: str = PASSWORD) -> bytes:
    salt, iv = os.urandom(16), os.urandom(12)
    key_bytes = Argon2id(salt=salt, length=32, iterations=3, lanes=4, memory_cost=65536).derive(
        password.encode()
    )
    return b"AUTHENTICATORPRO" + salt + iv + gcm(key_bytes, iv, plain)


def stratum_legacy(plain: bytes, password: str = PASSWORD) -> bytes:
    salt, iv = os.urandom(20), os.urandom(16)
    key_bytes = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, 64_000, 32)
    return b"AuthenticatorPro" + salt + iv + cbc(key_bytes, iv, plain)


def sqlite_file(path: Path, script: str, rows: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """A real database file on disk, returned as the bytes an import reads."""
    with sqlite3.connect(path) as connection:
        connection.executescript(script)
        for table, values in rows.items():
            for row in values:
                marks = ", ".join("?" * len(row))
                connection.execute(f"INSERT INTO {table} VALUES ({marks})", row)
    connection.close()
    return path.read_bytes()


def stratum_db(path: Path, samples: Sequence[Sample]) -> bytes:
    script = """
    CREATE TABLE authenticator (type integer, icon varchar, issuer varchar, username varchar,
        secret varchar primary key not null, pin varchar, algorithm integer, digits integer,
        period integer, counter integer, ranking integer);
    CREATE TABLE category (id varchar primary key not null, name varchar, ranking integer);
    CREATE TABLE authenticatorcategory (categoryId varchar, authenticatorSecret varchar,
        ranking integer);
    """
    rows = [
        (
            _STRATUM_TYPES[s.type],
            None,
            s.issuer,
            s.name,
            s.b32,
            None,
            _STRATUM_ALGORITHMS[s.algorithm],
            s.digits,
            s.period,
            s.counter,
            0,
        )
        for s in samples
    ]
    links = [("work", samples[0].b32, 0)] if samples else []
    return sqlite_file(
        path,
        script,
        {"authenticator": rows, "category": [("work", "Work", 0)], "authenticatorcategory": links},
    )


# --- Apps' internal databases ------------------------------------------------------------


def microsoft_db(path: Path, rows: list[tuple[str, str, str, int]]) -> bytes:
    """rows: (issuer, username, secret text, account_type)."""
    script = """
    CREATE TABLE accounts (_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
        username TEXT NOT NULL, oath_secret_key TEXT NOT NULL, account_type INTEGER NOT NULL);
    PRAGMA journal_mode = WAL;
    """
    return sqlite_file(
        path, script, {"accounts (name, username, oath_secret_key, account_type)": rows}
    )


def googleauth_db(path: Path, samples: Sequence[Sample]) -> bytes:
    script = """
    CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL,
        counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0,
        issuer TEXT DEFAULT NULL, original_name TEXT DEFAULT NULL);
    """
    rows = [
        (
            None,
            f"{s.issuer}:{s.name}",
            s.b32.lower(),
            s.counter,
            1 if s.type == "hotp" else 0,
            0,
            s.issuer,
            f"{s.issuer}:{s.name}",
        )
        for s in samples
    ]
    return sqlite_file(path, script, {"accounts": rows})


# --- TOTP Authenticator, Authy, Battle.net ------------------------------------------------


def totpauth_entry(sample: Sample, base: int = 16) -> dict[str, object]:
    encoded = {
        16: sample.secret.hex().upper(),
        32: sample.b32,
        64: base64.b64encode(sample.secret).decode(),
    }[base]
    return {
        "base": base,
        "key": encoded,
        "issuer": sample.issuer,
        "name": sample.name,
        "digits": "6",
        "period": "30",
    }


def totpauth_backup(entries: Sequence[object], password: str = "TotpAuthenticator") -> bytes:
    plaintext = json.dumps({json.dumps(entries): "1608376587000"}).encode()
    key_bytes = hashlib.sha256(password.encode()).digest()
    return base64.b64encode(cbc(key_bytes, bytes(16), plaintext))


def totpauth_prefs(entries: list[object]) -> bytes:
    return shared_prefs(
        {"STATIC_TOTP_CODES_LIST": json.dumps(entries), "DEFAULT_ENCRYPTION_KEY": "x"}
    )


AUTHY_KEY = "com.authy.storage.tokens.authenticator.key"


def authy_token(sample: Sample, password: str | None = None) -> dict[str, object]:
    token: dict[str, object] = {
        "accountType": "authenticator",
        "digits": sample.digits,
        "originalIssuer": sample.issuer,
        "originalName": f"{sample.issuer}:{sample.name}",
        "name": f"{sample.issuer}: {sample.name}",
        "id": "1",
    }
    if password is None:
        token["decryptedSecret"] = sample.b32
    else:
        salt = base64.b64encode(os.urandom(24)).decode()
        key_bytes = hashlib.pbkdf2_hmac("sha1", password.encode(), salt.encode(), 1000, 32)
        token["salt"] = salt
        token["encryptedSecret"] = base64.b64encode(
            cbc(key_bytes, bytes(16), sample.b32.encode())
        ).decode()
    return token


def authy_prefs(tokens: list[object]) -> bytes:
    return shared_prefs(
        {AUTHY_KEY: json.dumps(tokens)}, '    <int name="key_version" value="121" />\n'
    )


BATTLENET_MASK = bytes.fromhex(
    "398e27fc50276a656065b0e525f4c06c04c61075286b8e7aeda59da9813b5dd6"
    "c80d2fb38068773fa59ba47c17ca6c6479015c1d5b8b8f6b9a"
)


def battlenet_prefs(secret: bytes, serial: str) -> bytes:
    def mask(text: str) -> str:
        return bytes(a ^ b for a, b in zip(text.encode(), BATTLENET_MASK, strict=False)).hex()

    prefix = "com.blizzard.messenger."
    return shared_prefs(
        {
            prefix + "AUTHENTICATOR_DEVICE_SECRET": mask(secret.hex()),
            prefix + "AUTHENTICATOR_SERIAL": mask(serial),
        }
    )


# --- URI-based formats -------------------------------------------------------------------


def uri(sample: Sample) -> str:
    return build_otpauth(sample.account())


def otpauth_list(samples: Sequence[Sample]) -> bytes:
    return ("# exported by hand\n" + "\n".join(uri(s) for s in samples) + "\n").encode()


def bitwarden_json(totps: list[tuple[str, str, str | None]]) -> bytes:
    """totps: (item name, username, totp value or None)."""
    items = [
        {
            "id": str(i),
            "type": 1,
            "name": name,
            "login": {"username": user, "password": "pw", "totp": totp},
        }
        for i, (name, user, totp) in enumerate(totps)
    ]
    return _json({"encrypted": False, "folders": [], "items": items})


def bitwarden_csv(totps: list[tuple[str, str, str | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "folder",
            "favorite",
            "type",
            "name",
            "notes",
            "fields",
            "login_uri",
            "login_username",
            "login_password",
            "login_totp",
        ]
    )
    for name, user, totp in totps:
        writer.writerow(["", "", "login", name, "", "", "", user, "pw", totp or ""])
    return out.getvalue().encode()


def proton(entries: list[tuple[str, str]]) -> bytes:
    """entries: (uri, name)."""
    return _json(
        {
            "version": 1,
            "entries": [
                {"id": str(i), "content": {"uri": u, "entry_type": "Totp", "name": n}, "note": None}
                for i, (u, n) in enumerate(entries)
            ],
        }
    )


# --- Authenticator Plus: a ZipCrypto ZIP, written by hand (zipfile cannot encrypt) -------


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC = _crc_table()


class _ZipCrypto:
    def __init__(self, password: bytes) -> None:
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for byte in password:
            self.update(byte)

    def update(self, byte: int) -> None:
        self.k0 = (self.k0 >> 8) ^ _CRC[(self.k0 ^ byte) & 0xFF]
        self.k1 = ((self.k1 + (self.k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = (self.k2 >> 8) ^ _CRC[(self.k2 ^ (self.k1 >> 24)) & 0xFF]

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            temp = (self.k2 | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            self.update(byte)
        return bytes(out)


def zipcrypto_zip(name: str, content: bytes, password: str | None) -> bytes:
    crc = zlib.crc32(content)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(content) + compressor.flush()
    flags = 0
    if password is not None:
        header = os.urandom(11) + bytes([crc >> 24])
        body = _ZipCrypto(password.encode()).encrypt(header + body)
        flags = 1
    raw_name = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        20,
        flags,
        8,
        0,
        0,
        crc,
        len(body),
        len(content),
        len(raw_name),
        0,
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        flags,
        8,
        0,
        0,
        crc,
        len(body),
        len(content),
        len(raw_name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    records = local + raw_name + body
    directory = central + raw_name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(records), 0)
    return records + directory + end
