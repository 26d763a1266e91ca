"""FreeOTP+ exports: {"tokenOrder": [...], "tokens": [...]} with FreeOTP's token JSON.

Its internal shared_prefs file has FreeOTP 1.x's layout and is read by the FreeOTP importer.
"""

from __future__ import annotations

from app.formats._common import JsonObject
from app.formats.base import Entries, JsonImporter, raw_json
from app.formats.freeotp import ordered, plain_token_account, token_key


class FreeOtpPlusImporter(JsonImporter[JsonObject]):
    name = "freeotpplus"
    title = "FreeOTP+"
    document = "a FreeOTP+ export"
    missing = "no token list"

    def recognise(self, value: object) -> JsonObject | None:
        if isinstance(value, dict) and isinstance(value.get("tokens"), list):
            return value
        return None

    def collect_document(
        self, document: JsonObject, password: str | None, entries: Entries
    ) -> None:
        tokens = document["tokens"]
        assert isinstance(tokens, list)
        keyed = [(token_key(t) if isinstance(t, dict) else "", t) for t in tokens]
        order = document.get("tokenOrder")
        entries.convert_all(
            ordered(keyed, raw_json(order) if isinstance(order, list) else None),
            plain_token_account,
        )
