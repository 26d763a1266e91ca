"""FreeOTP+ exports: {"tokenOrder": [...], "tokens": [...]} with FreeOTP's token JSON.

Its internal shared_prefs file has FreeOTP 1.x's layout and is read by the FreeOTP importer.
"""

from __future__ import annotations

from typing import ClassVar

from app.formats._common import (
    Entries,
    JsonObject,
    check_size,
    json_or_none,
    raw_json,
)
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.freeotp import ordered, plain_token_account, token_key
from app.formats.view import SourceView

WHAT = "a FreeOTP+ export"


def _export(value: object) -> JsonObject | None:
    """`value` (the file as JSON) when it is a FreeOTP+ export."""
    if isinstance(value, dict) and isinstance(value.get("tokens"), list):
        return value
    return None


class FreeOtpPlusImporter:
    name: ClassVar[str] = "freeotpplus"
    title: ClassVar[str] = "FreeOTP+"

    def sniff(self, source: SourceView) -> bool:
        return _export(source.json) is not None

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        export = _export(json_or_none(data))
        if export is None:
            raise ImportFormatError(f"not {WHAT}: no token list")
        tokens = export["tokens"]
        assert isinstance(tokens, list)
        keyed = [(token_key(t) if isinstance(t, dict) else "", t) for t in tokens]
        order = export.get("tokenOrder")
        entries = Entries()
        entries.convert_all(
            ordered(keyed, raw_json(order) if isinstance(order, list) else None),
            plain_token_account,
            raw_json,
        )
        return entries.result()
