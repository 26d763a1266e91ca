"""Battle.net Authenticator: the app's shared_prefs file.

`AUTHENTICATOR_DEVICE_SECRET` and `AUTHENTICATOR_SERIAL` are hex, XOR-masked with a fixed
key (the one Aegis' BattleNetImporter uses); unmasked they are the hex secret and the serial.
Codes are TOTP SHA1, 8 digits, 30 s; the serial is the account name.
"""

from __future__ import annotations

from app.core.account import Account
from app.formats._common import hex_decode
from app.formats.base import Entries, EntryError, FileImporter
from app.formats.view import SourceView

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


class BattleNetImporter(FileImporter):
    name = "battlenet"
    title = "Battle.net Authenticator"
    document = "a Battle.net Authenticator settings file"

    def sniff(self, source: SourceView) -> bool:
        return source.pref(SECRET_KEY) is not None

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        masked = source.pref(SECRET_KEY)
        if masked is None:
            raise self.not_this("no device secret")
        serial = source.pref(SERIAL_KEY)
        entries.convert(
            masked,
            lambda: Account(
                secret=hex_decode(_unmask(masked, "the device secret"), "the secret"),
                digits=8,
                issuer="Battle.net",
                name=_unmask(serial, "the serial") if serial else "",
            ),
        )
