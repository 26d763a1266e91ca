"""Battle.net Authenticator: the app's shared_prefs file.

`AUTHENTICATOR_DEVICE_SECRET` and `AUTHENTICATOR_SERIAL` are hex, XOR-masked with a fixed
key (the one Aegis' BattleNetImporter uses); unmasked they are the hex secret and the serial.
Codes are TOTP SHA1, 8 digits, 30 s; the serial is the account name.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.account import Account
from app.formats._common import Entries, EntryError, check_size, hex_decode
from app.formats._prefs import parse_prefs
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView

WHAT = "a Battle.net Authenticator settings file"
PREFIX = "com.blizzard.messenger."
SECRET_KEY = PREFIX + "AUTHENTICATOR_DEVICE_SECRET"
SERIAL_KEY = PREFIX + "AUTHENTICATOR_SERIAL"
MASK = bytes.fromhex(
    "398e27fc50276a656065b0e525f4c06c04c61075286b8e7aeda59da9813b5dd6"
    "c80d2fb38068773fa59ba47c17ca6c6479015c1d5b8b8f6b9a"
)


def _unmask(text: str, what: str) -> str:
    masked = hex_decode(text, what)
    if len(masked) > len(MASK):
        raise EntryError(f"{what} is longer than the mask")
    clear = bytes(a ^ b for a, b in zip(masked, MASK, strict=False))
    try:
        return clear.decode("ascii")
    except UnicodeDecodeError:
        raise EntryError(f"{what} does not unmask to text") from None


class BattleNetImporter:
    name: ClassVar[str] = "battlenet"
    title: ClassVar[str] = "Battle.net Authenticator"

    def sniff(self, source: SourceView) -> bool:
        prefs = source.prefs
        return prefs is not None and SECRET_KEY in prefs

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        prefs = parse_prefs(data)
        if prefs is None or SECRET_KEY not in prefs:
            raise ImportFormatError(f"not {WHAT}: no device secret")
        entries = Entries()

        def build() -> Account:
            serial = prefs.get(SERIAL_KEY, "")
            return Account(
                secret=hex_decode(_unmask(prefs[SECRET_KEY], "the device secret"), "the secret"),
                digits=8,
                issuer="Battle.net",
                name=_unmask(serial, "the serial") if serial else "",
            )

        entries.convert(prefs[SECRET_KEY], build)
        return entries.result()
