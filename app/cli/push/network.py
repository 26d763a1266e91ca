"""aiohttp for the push commands that go on the network, and their network errors in words.

aiohttp comes with the `server` extra: it is imported only when a command needs the network,
so the rest of the CLI works without it.
"""

from __future__ import annotations

from typing import Any

from app.cli.errors import CliError
from app.cli.output import printable


def import_aiohttp() -> Any:
    """aiohttp, or an error saying how to install it (it comes with keyfob[server])."""
    try:
        import aiohttp
    except ImportError:
        raise CliError(
            "push needs the aiohttp package: install it with pip install 'keyfob[server]'"
        ) from None
    return aiohttp


def network_error(url: str, error: BaseException) -> CliError:
    if isinstance(error, TimeoutError):
        reason = "no answer in time"
    else:
        reason = printable(str(error).splitlines()[0] if str(error) else type(error).__name__)
    return CliError(f"cannot reach the push server at {printable(url)}: {reason[:200]}")
