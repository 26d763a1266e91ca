"""Names at the edges of moving accounts: formats as people type them, and import entries
named without showing them (an entry's raw text may hold its secret).

Shared by the importer and exporter registries, the CLI's import report and the wizard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import unquote

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ISSUER_KEYS = ("issuer", "issuerName", "issuer_name", "service", "serviceName", "title")
_NAME_KEYS = ("name", "label", "account", "accountName", "account_name", "username", "email")


def format_key(name: str, aliases: Mapping[str, str]) -> str:
    """A format's registry name from what someone typed: case, spaces, dashes, dots and
    underscores do not matter, and common other names map through `aliases`."""
    key = re.sub(r"[\s_\-.]", "", name.lower())
    return aliases.get(key, key)


def shown(text: str, limit: int = 80) -> str:
    """`text` safe for one line: no control characters or lone surrogates, cut to `limit`."""
    clean = _CONTROL.sub(" ", text).encode("utf-8", "replace").decode("utf-8")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def entry_hint(raw: str) -> str | None:
    """Issuer / name of an unusable entry, from its text, to say which one it was.

    Only the label of an otpauth:// URI, or values under name-like keys of a JSON object
    (and of objects inside it), are used: never the rest, which may hold the secret.
    """
    text = raw.strip()
    if text[:10].lower() == "otpauth://":
        label = unquote(text[10:].split("?", 1)[0].partition("/")[2]).strip()
        return shown(label, 60) if label else None
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    objects = [value, *(inner for inner in value.values() if isinstance(inner, dict))]
    issuers = [o[k] for o in objects for k in _ISSUER_KEYS if isinstance(o.get(k), str)]
    names = [o[k] for o in objects for k in _NAME_KEYS if isinstance(o.get(k), str)]
    issuer = next((i.strip() for i in issuers if i.strip()), "")
    name = next((n.strip() for n in names if n.strip() and n.strip() != issuer), "")
    hint = " / ".join(part for part in (issuer, name) if part)
    return shown(hint, 60) if hint else None
