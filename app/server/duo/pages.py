"""The activation links Duo's `enroll` hands out: a page with the QR code and the link, and
the QR code itself as a PNG (what an IdP puts in an <img>, as authentik does).

The path carries a random token (192 bits) and works while the enrollment is open; the page
then says it was used or has expired, and the PNG is gone (404). Nothing on either is cached
or sent on as a referrer: the code in them enrolls a device. Every text on the page is
escaped; the page runs no script and loads nothing but its QR code.
"""

from __future__ import annotations

import html
import io
import logging
import re
from typing import Any, Final

import zxingcpp
from aiohttp import web
from PIL import Image

from app.server.duo.service import Activation, DuoService
from app.server.errors import StoreUnavailable

TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{32}")
_TOKEN_IN_PATH: Final = re.compile(r"(/duo/(?:activate|qr)/)[A-Za-z0-9_-]{32}")
_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_UNAVAILABLE: Final = (
    "<p>The Keyfob server cannot reach its database just now. Reload this page in a moment.</p>"
)
_PAGE_POLICY: Final = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def qr_png(text: str, scale: int = 6) -> bytes:
    """`text` as a QR code (level M, a quiet zone of four modules), in a PNG."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.QRCode, ec_level="M")
    image = symbol.to_image(scale=scale, add_quiet_zones=True)
    height, width = image.shape
    buffer: Any = image  # zxing-cpp's Image has the buffer protocol; its stub does not say so
    picture = Image.frombytes("L", (width, height), bytes(memoryview(buffer)))
    out = io.BytesIO()
    picture.convert("1", dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def page(activation: Activation | None, token: str) -> tuple[int, str]:
    """The page's status and HTML."""
    if activation is None:
        return 404, _document("No such enrollment", "<p>This link is not known here.</p>")
    site, user = html.escape(activation.rp), html.escape(activation.user)
    if activation.state == "used":
        body = f"<p>A Keyfob is enrolled for {user} at {site} with this code. Close this page.</p>"
        return 200, _document("Enrolled", body)
    if activation.state != "open" or activation.code is None:
        body = "<p>This enrollment has expired. Start again from the sign-in page.</p>"
        return 410, _document("Expired", body)
    link = html.escape(activation.code, quote=True)
    body = (
        f"<p>Enroll Keyfob for <b>{user}</b> at <b>{site}</b>: in Keyfob, choose "
        "<i>Add</i> and scan this code, or open the link on the computer where Keyfob runs.</p>"
        f'<p><img src="/duo/qr/{token}.png" alt="QR code to scan with Keyfob" '
        'width="300" height="300"></p>'
        f'<p><a href="{link}">Open in Keyfob</a></p>'
        "<p>The code can be used once, by one device. Do not share it.</p>"
    )
    return 200, _document("Enroll Keyfob", body)


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;"
        "max-width:36em;margin:2em auto;padding:0 1em}img{image-rendering:pixelated}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


class RedactTokens(logging.Filter):
    """The access log writes every request line; the token in an activation link is as good
    as the enrollment code, so it never reaches the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/duo/" in record.msg:
            record.msg = _TOKEN_IN_PATH.sub(r"\1[token]", record.msg)
        line = getattr(record, "first_request_line", None)
        if isinstance(line, str):
            record.first_request_line = _TOKEN_IN_PATH.sub(r"\1[token]", line)
        return True


def redact_access_log() -> None:
    """Put RedactTokens on aiohttp's access log (once per process)."""
    access = logging.getLogger("aiohttp.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


class ActivationPages:
    def __init__(self, service: DuoService) -> None:
        self.service = service

    def add_routes(self, app: web.Application) -> None:
        redact_access_log()
        app.router.add_get("/duo/activate/{token}", self.show, allow_head=False)
        app.router.add_get("/duo/qr/{token}.png", self.image, allow_head=False)

    async def _activation(self, request: web.Request) -> tuple[str, Activation | None]:
        token = request.match_info["token"]
        if TOKEN.fullmatch(token) is None:
            return token, None
        return token, await self.service.activation(token)

    async def show(self, request: web.Request) -> web.Response:
        headers = {**_HEADERS, "Content-Security-Policy": _PAGE_POLICY}
        try:
            token, activation = await self._activation(request)
        except StoreUnavailable as error:
            # A person is looking at this page: tell them in words, not in JSON.
            headers["Retry-After"] = str(error.retry_after)
            status, text = 503, _document("Try again shortly", _UNAVAILABLE)
        else:
            status, text = page(activation, token)
        return web.Response(
            text=text, status=status, content_type="text/html", charset="utf-8", headers=headers
        )

    async def image(self, request: web.Request) -> web.Response:
        try:
            _, activation = await self._activation(request)
        except StoreUnavailable as error:
            headers = {**_HEADERS, "Retry-After": str(error.retry_after)}
            return web.Response(status=503, text="Try again shortly.", headers=headers)
        if activation is None or activation.code is None:
            return web.Response(status=404, text="No such QR code.", headers=_HEADERS)
        return web.Response(
            body=qr_png(activation.code), content_type="image/png", headers=_HEADERS
        )
