"""Every exporter, found by name (--format)."""

from __future__ import annotations

from app.formats.exporters.aegis import AegisExporter
from app.formats.exporters.base import Exporter, ExportError
from app.formats.exporters.googleqr import GoogleQrExporter
from app.formats.exporters.htmlpage import HtmlExporter
from app.formats.exporters.keyfob import KeyfobExporter
from app.formats.exporters.uris import UriListExporter
from app.formats.labels import format_key

_EXPORTERS: tuple[Exporter, ...] = (
    KeyfobExporter(),
    AegisExporter(encrypted=True),
    AegisExporter(encrypted=False),
    UriListExporter(),
    GoogleQrExporter(),
    HtmlExporter(),
)

# Other names people type for the same formats (after lower-casing and dropping - _ . space).
_ALIASES = {
    "aegisplain": "aegis-plain",
    "aegisunencrypted": "aegis-plain",
    "googleqr": "google-qr",
    "google": "google-qr",
    "googleauthenticator": "google-qr",
    "otpauth": "uris",
    "uri": "uris",
    "text": "uris",
    "paper": "html",
    "vault": "keyfob",
}


def exporters() -> list[Exporter]:
    return list(_EXPORTERS)


def exporter_names() -> list[str]:
    return [exporter.name for exporter in _EXPORTERS]


def exporter_by_name(name: str) -> Exporter:
    """The exporter called `name` (case, spaces, dashes and underscores do not matter)."""
    key = format_key(name, _ALIASES)
    for exporter in _EXPORTERS:
        if exporter.name == key:
            return exporter
    raise ExportError(
        f"unknown export format '{name[:40]}': choose one of {', '.join(exporter_names())}"
    )
