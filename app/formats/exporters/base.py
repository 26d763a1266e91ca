"""The exporter contract, its report, its error, and the private file write they share."""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.account import Account
from app.core.errors import KeyfobError
from app.core.files import atomic_write


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


@dataclass(frozen=True)
class Output:
    """What an exporter makes of the accounts, before anything touches the disk."""

    parts: tuple[tuple[str, bytes], ...]  # (name, bytes): a file format's one part, unnamed
    exported: int
    left_out: tuple[LeftOut, ...] = ()
    notes: tuple[str, ...] = ()


class Exporter(ABC):
    """Writes accounts in one format. `write` raises only ExportError.

    `plaintext` formats put the secrets on disk unencrypted: callers must have the user's
    explicit consent first (the CLI's --yes-plaintext, a warning in the UI). Encrypted
    formats need a non-empty `password`; plaintext ones ignore it. `folder` formats take a
    folder as the destination (made if missing); the others a file, replaced atomically.
    Every file is written with mode 0600 through a temporary file that never outlives an
    error.

    The steps are written once here; a format says only what it writes (`render`) and, when
    it writes a folder, how (`save`).
    """

    name: str  # "aegis-plain": what --format takes
    title: str  # "Aegis Authenticator (unencrypted)": what people are shown
    plaintext: bool
    folder: bool = False

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
        key = None if self.plaintext else require_password(password, self.title)
        output = self.render(accounts, groups, key)
        return ExportReport(
            format=self.name,
            files=self.save(output, destination),
            exported=output.exported,
            left_out=output.left_out,
            notes=output.notes,
        )

    @abstractmethod
    def render(self, accounts: Sequence[Account], groups: Sequence[str], key: str | None) -> Output:
        """The bytes to write. `key` is the password, given exactly when the format is
        encrypted."""

    def save(self, output: Output, destination: Path) -> tuple[Path, ...]:
        """Write a file format's one part as `destination`; folder formats override this."""
        ((_, data),) = output.parts
        write_private(destination, data)
        return (destination,)


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
    """Replace `path` with `data` through the one atomic write (app.core.files): a temporary
    file (mode 0600) in the same folder, fsync, rename. On any failure the temporary file is
    removed, so no plaintext copy is left behind, and `path` is as it was. Raises ExportError
    naming the path (or its folder, when that is what cannot be written) and the reason.
    """
    try:
        atomic_write(path, data)
    except OSError as error:
        folder = path.parent
        if not os.access(folder, os.W_OK | os.X_OK):  # missing, or not ours to write into
            raise _io_error("write into", folder, error) from None
        raise _io_error("write", path, error) from None


def remove_quietly(paths: Iterable[Path]) -> None:
    """Delete files written before a later step failed (best effort: the error wins)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _io_error(action: str, path: Path, error: OSError) -> ExportError:
    reason = error.strerror or type(error).__name__
    return ExportError(f"cannot {action} {path}: {reason}")
