"""Checking the system clock against a web server's `Date` header, on request.

The header has whole seconds, so the result is good to about a second: plenty to tell a
clock that is fine from one that makes codes fail (more than 15 s off). The request runs on
a worker thread with the standard library's HTTP client (QtNetwork's manager crashed now
and then while loading its plugins under load, and a HEAD request needs none of it).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.ui.common.errors import ClockCheckError
from app.ui.common.worker import run_in_thread

TIMEOUT_SECONDS = 10.0


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP date; the first one if a proxy joined several."""
    if value.count("GMT") > 1:
        value = value[: value.index("GMT") + 3]
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.timestamp()


def _translate(text: str) -> str:
    return QCoreApplication.translate("TimeCheck", text)


def measure_drift(url: str, timeout: float = TIMEOUT_SECONDS) -> float:
    """Seconds the system clock is behind the server at `url` (negative: ahead).

    Raises ClockCheckError when the address is not http(s), the server cannot be reached,
    or its answer has no usable Date header.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ClockCheckError(_translate("Enter a web address starting with https://."))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url.strip(), method="HEAD", headers={"User-Agent": "Keyfob clock check"}
    )
    sent = time.time()
    headers: Message
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            headers = response.headers
    except urllib.error.HTTPError as error:
        headers = error.headers  # a 404 or 405 still says what time it is
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise ClockCheckError(
            _translate("The server could not be reached: %1").replace("%1", str(reason))
        ) from None
    received = time.time()
    server = parse_http_date(headers.get("Date", ""))
    if server is None:
        raise ClockCheckError(_translate("The server did not say what time it is."))
    # The Date header is truncated to the second: its middle is half a second later.
    return server + 0.5 - (sent + received) / 2


class TimeCheck(QObject):
    """`finished(drift)` or `failed(message)`, from a check run off the GUI thread."""

    finished = Signal(float)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.running = False

    def check(self, url: str) -> None:
        self.running = True
        run_in_thread(lambda: measure_drift(url), self._done, self._failed, owner=self)

    def _done(self, drift: float) -> None:
        self.running = False
        self.finished.emit(drift)

    def _failed(self, error: BaseException) -> None:
        self.running = False
        if isinstance(error, ClockCheckError):
            self.failed.emit(str(error))
            return
        raise error
