"""Google Authenticator "Transfer accounts" QR codes, as PNG images in a folder.

The accounts go into otpauth-migration:// payloads in batches small enough for a phone to
scan from a screen or paper (app.core.migration: at most 10 accounts and about 1400
characters a code), one PNG per batch: `qr-1-of-3.png`, ... Google's format has no Steam
codes, only 30-second TOTP and 6 or 8 digits: accounts it cannot hold are left out and
listed with the reason in the report and in `not-exported.txt` beside the images.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from app.core.account import Account
from app.core.errors import UriError
from app.core.migration import build_migration, migration_problem
from app.formats.exporters.base import (
    Exporter,
    ExportError,
    LeftOut,
    Output,
    label_of,
    remove_quietly,
    write_private,
)
from app.qr.encode import encode_png
from app.qr.errors import QrError

LEFT_OUT_FILE = "not-exported.txt"
_IMAGE_NAME = re.compile(r"qr-\d+-of-\d+\.png")


def image_name(index: int, count: int) -> str:
    return f"qr-{index + 1}-of-{count}.png"


def google_batches(accounts: Sequence[Account]) -> tuple[list[str], list[LeftOut]]:
    """The migration URIs (one a QR code) of the accounts Google can hold, and the rest.

    For the desktop's "Transfer to phone", which shows the codes instead of saving them.
    """
    fitting: list[Account] = []
    left_out: list[LeftOut] = []
    for account in accounts:
        problem = migration_problem(account)
        if problem is None:
            fitting.append(account)
        else:
            left_out.append(LeftOut(label_of(account), problem))
    if not fitting:
        return [], left_out
    try:
        return build_migration(fitting), left_out
    except UriError as error:  # migration_problem said yes above; kept as a clear error
        raise ExportError(f"cannot make the Google Authenticator export: {error}") from None


def _left_out_text(left_out: Sequence[LeftOut]) -> str:
    lines = [
        "Accounts that Google Authenticator's transfer format cannot hold (not in the QR codes):",
        "",
    ]
    lines += [f"- {item.label}: {item.reason}" for item in left_out]
    return "\n".join(lines) + "\n"


def _prepare_folder(folder: Path) -> bool:
    """Make the folder if needed (True when made); refuse one holding an earlier export."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file: the googleauth export needs a folder")
    if folder.is_dir():
        try:
            names = os.listdir(folder)
        except OSError as error:
            raise ExportError(f"cannot read the folder {folder}: {error.strerror}") from None
        if any(_IMAGE_NAME.fullmatch(name) for name in names) or LEFT_OUT_FILE in names:
            raise ExportError(
                f"{folder} already holds QR images of an export: choose an empty folder, so "
                "images of two exports are not mixed"
            )
        return False
    try:
        folder.mkdir(mode=0o700)
    except FileNotFoundError:
        raise ExportError(f"the folder {folder.parent} does not exist") from None
    except OSError as error:
        raise ExportError(f"cannot make the folder {folder}: {error.strerror}") from None
    return True


class GoogleQrExporter(Exporter):
    name = "googleauth"
    title = "Google Authenticator QR codes (unencrypted images)"
    plaintext = True
    folder = True

    def __init__(self, *, scale: int = 6) -> None:
        self.scale = scale  # pixels a module: a 1400-character code is about 900 px wide

    def render(self, accounts: Sequence[Account], groups: Sequence[str], key: str | None) -> Output:
        uris, left_out = google_batches(accounts)
        if not uris:
            reasons = "; ".join(sorted({item.reason for item in left_out}))[:200]
            raise ExportError(
                "none of the accounts can go into Google Authenticator's format"
                + (f" ({reasons})" if reasons else "")
            )
        try:
            images = [encode_png(uri, scale=self.scale) for uri in uris]
        except QrError as error:
            raise ExportError(f"cannot draw the QR codes: {error}") from None
        parts = [(image_name(index, len(images)), image) for index, image in enumerate(images)]
        if left_out:
            parts.append((LEFT_OUT_FILE, _left_out_text(left_out).encode("utf-8", "replace")))
        return Output(tuple(parts), len(accounts) - len(left_out), tuple(left_out))

    def save(self, output: Output, destination: Path) -> tuple[Path, ...]:
        made = _prepare_folder(destination)
        written: list[Path] = []
        try:
            for name, data in output.parts:
                path = destination / name
                write_private(path, data)
                written.append(path)
        except BaseException:
            # Half a set of QR codes is worse than none, and each one holds secrets.
            remove_quietly(written)
            if made:
                with contextlib.suppress(OSError):
                    destination.rmdir()
            raise
        return tuple(written)
