"""The exporter contract, its report, its error, and the private atomic file write they share."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.core.account import Account
from app.core.errors import KeyfobError


class ExportError(KeyfobError):
    """Nothing (or nothing usable) was exported: say why. Never carries a secret."""


@dataclass(frozen=True)
class LeftOut:
    """An account the format cannot carry, and why (its label only: never a secret)."""

    label: str
    reason: str


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: the files, how many accounts, those left out, what was lost."""

    format: str
    files: tuple[Path, ...]
    exported: int
    left_out: tuple[LeftOut, ...] = ()
    notes: tuple[str, ...] = ()  # things the format dropped, e.g. icons it cannot show


class Exporter(Protocol):
    """Writes accounts in one format. `write` raises only ExportError.

    `plaintext` formats put the secrets on disk unencrypted: callers must have the user's
    explicit consent first (the CLI's --yes-plaintext, a warning in the UI). Encrypted
    formats need a non-empty `password`; plaintext ones ignore it. `folder` formats take a
    folder as the destination (made if missing); the others a file, replaced atomically.
    Every file is written with mode 0600 through a temporary file that never outlives an
    error.
    """

    @property
    def name(self) -> str: ...  # "aegis-plain": what --format takes

    @property
    def title(self) -> str: ...  # "Aegis Authenticator (unencrypted)": what people are shown

    @property
    def plaintext(self) -> bool: ...

    @property
    def folder(self) -> bool: ...

    def write(
        self,
        accounts: Sequence[Account],
        destination: Path,
        password: str | None,
        *,
        groups: Sequence[str] = (),
    ) -> ExportReport:
        """Write `accounts` (in order); `groups` gives the group order where the format
        keeps one (group names only on accounts are appended)."""
        ...


def label_of(account: Account, limit: int = 60) -> str:
    """The account's label, cut to a length a message can show."""
    label = "".join(c if c.isprintable() else " " for c in account.label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def group_order(accounts: Iterable[Account], groups: Sequence[str]) -> list[str]:
    """`groups` in order, then every other group name the accounts use, first seen first."""
    ordered = dict.fromkeys(name for name in groups if isinstance(name, str) and name)
    for account in accounts:
        ordered.update(dict.fromkeys(account.groups))
    return list(ordered)


def require_password(password: str | None, title: str) -> str:
    if not password:
        raise ExportError(f"a {title} export is encrypted: give it a password (not empty)")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise ExportError(
            "the password holds characters that are not valid text: choose another"
        ) from None
    return password


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: temporary file (mode 0600) in the same folder, fsync,
    rename. On any failure the temporary file is removed, so no plaintext copy is left
    behind, and `path` is as it was. Raises ExportError naming the path and the reason.
    """
    folder = path.parent
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise _io_error("write into", folder, error) from None
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError):
            raise _io_error("write", path, error) from None
        raise
    _fsync_folder(folder)


def remove_quietly(paths: Iterable[Path]) -> None:
    """Delete files written before a later step failed (best effort: the error wins)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals renames
        return
    with contextlib.suppress(OSError):  # the data is written; a folder fsync is a bonus
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _io_error(action: str, path: Path, error: OSError) -> ExportError:
    reason = error.strerror or type(error).__name__
    return ExportError(f"cannot {action} {path}: {reason}")
