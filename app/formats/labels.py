"""Names at the edges of moving accounts: formats as people type them (canonical names and
aliases), and import entries named without showing them (an entry's raw text may hold its
secret).

Shared by the importer and exporter registries, the CLI's import report and the wizard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ISSUER_KEYS = ("issuer", "issuerName", "issuer_name", "service", "serviceName", "title")
_NAME_KEYS = ("name", "label", "account", "accountName", "account_name", "username", "email")


# A format Keyfob both reads and writes has one name in both directions, and accepts in both
# directions the names it went by in either (`uris` and `google-qr` were the exporters'
# names, `google` and `keyfob-vault` the importers' aliases), so no script breaks.
SHARED_ALIASES: Mapping[str, str] = {
    "uris": "otpauth",
    "uri": "otpauth",
    "text": "otpauth",
    "otpauth-list": "otpauth",
    "google-qr": "googleauth",
    "google": "googleauth",
    "google-authenticator": "googleauth",
    "keyfob-vault": "keyfob",
    "vault": "keyfob",
}


def format_key(name: str) -> str:
    """A format name as it is compared: case, spaces, dashes, dots and underscores do not
    matter."""
    return re.sub(r"[\s_\-.]", "", name.lower())


def find_format(typed: str, names: Sequence[str], aliases: Mapping[str, str]) -> int | None:
    """The index in `names` of the format `typed` means (a name or an alias), or None."""
    keyed = {format_key(alias): format_key(target) for alias, target in aliases.items()}
    wanted = keyed.get(format_key(typed), format_key(typed))
    keys = [format_key(name) for name in names]
    return keys.index(wanted) if wanted in keys else None


def aliases_of(name: str, aliases: Mapping[str, str]) -> list[str]:
    """The other names `name` answers to, as people write them."""
    return [alias for alias, target in aliases.items() if target == name]


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
