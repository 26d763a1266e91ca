"""A printable paper backup: one self-contained HTML page, one QR code per account.

Each account shows its QR code (the otpauth:// URI, drawn as inline SVG), issuer and name,
the secret in base32 in groups of four for typing, and the settings needed to type it into
any app. No scripts, fonts, stylesheets or images are fetched: the page works offline and
prints the same anywhere. Every text from the vault is HTML-escaped.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Sequence

from app.core.account import Account, OtpType
from app.core.secret import encode_base32
from app.core.uri import build_otpauth
from app.formats.exporters.base import Exporter, Output
from app.qr.encode import encode_matrix
from app.qr.errors import QrError

QUIET_ZONE = 4  # light modules around the symbol, as the QR standard asks

_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0 auto;max-width:190mm;padding:8mm;color:#000;background:#fff;font-size:10.5pt}
h1{font-size:17pt;margin:0 0 3mm}
.warning{border:2px solid #000;padding:3mm 4mm;margin:0 0 3mm}
.meta{color:#333;margin:0 0 5mm}
.cards{display:grid;grid-template-columns:1fr 1fr;gap:4mm}
.card{border:1px solid #888;border-radius:2mm;padding:3mm;display:flex;gap:3mm;
break-inside:avoid;page-break-inside:avoid}
.qr{flex:none;width:38mm;height:38mm}
.qr svg{width:100%;height:100%;display:block}
.noqr{flex:none;width:38mm;font-size:9pt;color:#333;border:1px dashed #888;padding:2mm}
.text{min-width:0}
.issuer{font-weight:bold;font-size:12pt;overflow-wrap:anywhere}
.name{overflow-wrap:anywhere;margin-bottom:1.5mm}
.settings{font-size:9pt;color:#333;margin-bottom:1.5mm}
.secret{font-family:"DejaVu Sans Mono",Consolas,Menlo,monospace;font-size:10pt;
word-spacing:1.5mm;overflow-wrap:anywhere}
.extra{font-size:9pt;margin-top:1.5mm;overflow-wrap:anywhere;white-space:pre-wrap}
@page{margin:12mm}
@media print{body{padding:0;max-width:none}}
"""


def grouped_secret(account: Account) -> str:
    """The base32 secret in groups of four characters: easier to type, easier to check."""
    text = encode_base32(account.secret)
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def settings_text(account: Account) -> str:
    if account.type is OtpType.STEAM:
        return f"Steam Guard, 5 characters, every {account.period} s"
    kind = "TOTP (time-based)" if account.type is OtpType.TOTP else "HOTP (counter-based)"
    timing = (
        f"counter {account.counter}"
        if account.type is OtpType.HOTP
        else f"every {account.period} s"
    )
    return f"{kind}, {account.algorithm.value}, {account.digits} digits, {timing}"


def qr_svg(text: str) -> str:
    """An SVG of the QR code for `text`: one path, dark modules as unit squares."""
    matrix = encode_matrix(text)
    side = len(matrix) + 2 * QUIET_ZONE
    runs: list[str] = []
    for y, row in enumerate(matrix, start=QUIET_ZONE):
        x, end = 0, len(row)
        while x < end:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < end and row[x]:
                x += 1
            runs.append(f"M{start + QUIET_ZONE} {y}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        'shape-rendering="crispEdges" role="img" aria-label="QR code">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _card(account: Account) -> str:
    esc = html.escape
    try:
        picture = f'<div class="qr">{qr_svg(build_otpauth(account))}</div>'
    except QrError:
        picture = (
            '<div class="noqr">Too long for a QR code: type the secret and settings '
            "into the app.</div>"
        )
    title = account.issuer or account.name or "(unnamed)"
    name = account.name if account.issuer else ""
    extra = []
    if account.groups:
        extra.append("Groups: " + ", ".join(account.groups))
    if account.note:
        extra.append("Note: " + account.note)
    extra_html = "".join(f'<div class="extra">{esc(line)}</div>' for line in extra)
    return (
        f'<section class="card">{picture}<div class="text">'
        f'<div class="issuer">{esc(title)}</div>'
        f'<div class="name">{esc(name)}</div>'
        f'<div class="settings">{esc(settings_text(account))}</div>'
        f'<div class="secret">{esc(grouped_secret(account))}</div>'
        f"{extra_html}</div></section>"
    )


def html_page(accounts: Sequence[Account], made: datetime.datetime | None = None) -> str:
    when = (made or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    count = len(accounts)
    cards = "\n".join(_card(account) for account in accounts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keyfob paper backup</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Keyfob paper backup</h1>
<p class="warning"><strong>Keep this paper safe.</strong> Anyone who sees it can make your
sign-in codes. Store it like a passport, away from your computer and phone; shred it when
you replace it. Do not photograph it or leave the file on a shared disk.</p>
<p class="meta">Made {html.escape(when)}: {count} account{"" if count == 1 else "s"}.
To restore one, scan its code with Keyfob or any authenticator app, or type the secret
and settings.</p>
<main class="cards">
{cards}
</main>
</body>
</html>
"""


class HtmlExporter(Exporter):
    name = "html"
    title = "Printable HTML page (unencrypted)"
    plaintext = True

    def render(self, accounts: Sequence[Account], groups: Sequence[str], key: str | None) -> Output:
        # A lone surrogate in a name cannot be UTF-8: it becomes a character reference.
        data = html_page(accounts).encode("utf-8", "xmlcharrefreplace")
        return Output((("", data),), len(accounts))
