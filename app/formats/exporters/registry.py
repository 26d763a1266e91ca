"""Every exporter, found by name (--format)."""

from __future__ import annotations

from app.formats.exporters.aegis import AegisExporter
from app.formats.exporters.base import Exporter, ExportError
from app.formats.exporters.googleqr import GoogleQrExporter
from app.formats.exporters.htmlpage import HtmlExporter
from app.formats.exporters.keyfob import KeyfobExporter
from app.formats.exporters.uris import UriListExporter
from app.formats.labels import SHARED_ALIASES, aliases_of, find_format

_EXPORTERS: tuple[Exporter, ...] = (
    KeyfobExporter(),
    AegisExporter(encrypted=True),
    AegisExporter(encrypted=False),
    UriListExporter(),
    GoogleQrExporter(),
    HtmlExporter(),
)

# Other names people type for the same formats (see labels.SHARED_ALIASES for the formats
# Keyfob also reads). Case, spaces, dashes, dots and underscores do not matter.
ALIASES: dict[str, str] = {
    "aegis-unencrypted": "aegis-plain",
    "paper": "html",
    **SHARED_ALIASES,
}


def exporters() -> list[Exporter]:
    return list(_EXPORTERS)


def exporter_names() -> list[str]:
    return [exporter.name for exporter in _EXPORTERS]


def exporter_aliases(name: str) -> list[str]:
    """The other names the exporter called `name` answers to."""
    return aliases_of(name, ALIASES)


def exporter_by_name(name: str) -> Exporter:
    """The exporter called `name` or one of its aliases (case, spaces and dashes aside)."""
    index = find_format(name, exporter_names(), ALIASES)
    if index is None:
        raise ExportError(
            f"unknown export format '{name[:40]}': choose one of {', '.join(exporter_names())}"
        )
    return _EXPORTERS[index]
