"""Every importer, found by name (--from) or by looking at the file."""

from __future__ import annotations

from app.formats.aegis import AegisImporter
from app.formats.andotp import AndOtpImporter
from app.formats.authenticatorplus import AuthenticatorPlusImporter
from app.formats.authy import AuthyImporter
from app.formats.base import Importer, ImportResult, check_size
from app.formats.battlenet import BattleNetImporter
from app.formats.bitwarden import BitwardenImporter
from app.formats.duo import DuoImporter
from app.formats.ente import EnteImporter
from app.formats.errors import ImportFormatError
from app.formats.freeotp import FreeOtpImporter
from app.formats.freeotpplus import FreeOtpPlusImporter
from app.formats.googleauth import GoogleAuthImporter
from app.formats.keyfob import KeyfobImporter
from app.formats.labels import SHARED_ALIASES, aliases_of, find_format
from app.formats.microsoft import MicrosoftImporter
from app.formats.otpauth import OtpauthListImporter
from app.formats.proton import ProtonImporter
from app.formats.steam import SteamImporter
from app.formats.stratum import StratumImporter
from app.formats.totpauthenticator import TotpAuthenticatorImporter
from app.formats.twofas import TwoFasImporter
from app.formats.view import SourceView
from app.formats.winauth import WinAuthImporter

# Sniffers are written to exclude each other; should two still claim a file, the earlier
# (more specific) one wins, so the plain otpauth:// list comes last.
_IMPORTERS: tuple[Importer, ...] = (
    KeyfobImporter(),
    AegisImporter(),
    TwoFasImporter(),
    StratumImporter(),
    FreeOtpImporter(),
    FreeOtpPlusImporter(),
    AndOtpImporter(),
    BitwardenImporter(),
    ProtonImporter(),
    DuoImporter(),
    SteamImporter(),
    AuthyImporter(),
    BattleNetImporter(),
    TotpAuthenticatorImporter(),
    MicrosoftImporter(),
    GoogleAuthImporter(),
    AuthenticatorPlusImporter(),
    EnteImporter(),
    WinAuthImporter(),
    OtpauthListImporter(),
)

# Other names people type for the same apps (see labels.SHARED_ALIASES for the formats
# Keyfob also writes). Case, spaces, dashes, dots and underscores do not matter.
ALIASES: dict[str, str] = {
    "2fas": "twofas",
    "authenticator-pro": "stratum",
    "freeotp+": "freeotpplus",
    "microsoft-authenticator": "microsoft",
    "steam-guard": "steam",
    "aegis-plain": "aegis",  # the exporter's name for an unencrypted Aegis file
    **SHARED_ALIASES,
}


def importers() -> list[Importer]:
    return list(_IMPORTERS)


def names() -> list[str]:
    return [importer.name for importer in _IMPORTERS]


def aliases(name: str) -> list[str]:
    """The other names the importer called `name` answers to."""
    return aliases_of(name, ALIASES)


def by_name(name: str) -> Importer:
    """The importer called `name` or one of its aliases (case, spaces and dashes aside)."""
    index = find_format(name, names(), ALIASES)
    if index is None:
        raise ImportFormatError(
            f"unknown import format '{name[:40]}': choose one of {', '.join(names())}"
        )
    return _IMPORTERS[index]


def claimants(data: bytes, filename: str) -> list[Importer]:
    """Every importer whose sniffer claims the file (normally exactly one)."""
    source = SourceView(data, filename)
    return [importer for importer in _IMPORTERS if importer.sniff(source)]


def detect(data: bytes, filename: str) -> Importer:
    """The importer the file belongs to; ImportFormatError when no importer knows it.

    Every sniffer sees one SourceView, so the file is parsed (as JSON, XML, text lines, a
    database) at most once in each way however many importers look at it.
    """
    check_size(data)
    source = SourceView(data, filename)
    for importer in _IMPORTERS:
        if importer.sniff(source):
            return importer
    raise ImportFormatError(
        "not a format Keyfob knows: choose the app it comes from "
        f"({', '.join(names())}), or export it again from that app"
    )


def read_file(
    data: bytes, filename: str, password: str | None, *, format_name: str | None = None
) -> tuple[Importer, ImportResult]:
    """Detect (or take by name) the importer and read the file with it."""
    importer = by_name(format_name) if format_name else detect(data, filename)
    return importer, importer.read(data, password)
