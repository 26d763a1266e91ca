"""What the import wizard does without Qt: read the chosen files, sort what they hold, add it.

Reading and decrypting happen in a worker thread (a KDF takes a second), so everything here
is plain Python. The files are read through the import sources both faces share
(app.formats.sources), and the accounts are sorted and added by the vault's one planner
(app.vault.account_edits), as `keyfob import` does; what is left here is the wizard's own:
one export at a time, and the preview's names for unusable entries. Nothing is written until
`add_accounts` runs inside one `Vault.modify`: the import is all or nothing, and a cancelled
wizard leaves the vault as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.account import Account
from app.formats.labels import entry_hint, shown
from app.formats.sources import SourceError, SourceProblem, gather, importer_for, is_export_file
from app.ui.common.errors import UiError
from app.vault.account_edits import AdditionPlanner, Disposition, Planned

if TYPE_CHECKING:
    from app.formats.base import EntryProblem, Importer, ImportResult


class ImportReadError(UiError):
    """The chosen files cannot be taken together (the wizard imports one export at a time)."""


@dataclass(frozen=True)
class LoadedFile:
    """The chosen files, read and recognised, not yet decrypted or converted."""

    name: str  # what the wizard calls it: a file name, or "QR codes in 3 images"
    data: bytes = field(repr=False)
    importer: Importer
    encrypted: bool

    @property
    def format_title(self) -> str:
        """ "Aegis Authenticator (encrypted)": the format as people are shown it."""
        title = self.importer.title
        return f"{title} (encrypted)" if self.encrypted else title


@dataclass(frozen=True)
class Unusable:
    """An entry of the file that is not an account: a short name (never its text) and why."""

    title: str  # "Entry 3 (GitHub / alice)"
    reason: str


@dataclass(frozen=True)
class Preview:
    """Each account of the file as the vault's planner sees it: new, already in the vault
    (DUPLICATE), or the same as one earlier in the file (REPEATED); and the unusable entries."""

    entries: list[Planned]
    unusable: list[Unusable]

    def count(self, disposition: Disposition) -> int:
        return sum(1 for entry in self.entries if entry.disposition is disposition)


def claimed_export(paths: Sequence[Path]) -> bool:
    """True when `paths` is one file (not an image) that an importer recognises.

    For a drop on the main window: images go to the add window, exports to the wizard.
    """
    return len(paths) == 1 and is_export_file(paths[0])


def _read_qr(data: bytes) -> list[str]:
    from app.qr.decode import decode_image_bytes  # zxing loads only when images come

    return decode_image_bytes(data)


def load_files(paths: Sequence[Path]) -> LoadedFile:
    """Read and recognise the chosen files: one export file, or QR code images (read
    together, so a Google Authenticator export's batches are checked as a whole).

    Raises ImportReadError or SourceError (app.formats.sources).
    """
    if not paths:
        raise ImportReadError("choose a file to import")
    sources = gather(paths, None, _read_qr)
    if len(sources) > 1:
        raise ImportReadError(
            "choose one export file at a time (several files only for QR code images)"
        )
    source = sources[0]
    try:
        importer = importer_for(source)
    except SourceError as error:
        if source.images and error.problem is SourceProblem.UNKNOWN_FORMAT:
            raise SourceError(
                "the QR codes are not an export Keyfob knows: to add a single account's "
                "QR code, use Add ▸ Image file instead",
                error.problem,
            ) from None
        raise
    return LoadedFile(source.name, source.data, importer, importer.needs_password(source.data))


def read_loaded(loaded: LoadedFile, password: str | None) -> ImportResult:
    """Decrypt (if need be) and convert. Raises ImportFormatError and its subclasses."""
    return loaded.importer.read(loaded.data, password)


def make_preview(result: ImportResult, existing: Iterable[Account]) -> Preview:
    """Each account marked new, already in `existing` (the vault's accounts), or repeated
    within the file."""
    return Preview(AdditionPlanner(existing).plan(result.accounts), unusable(result.problems))


def unusable(problems: Sequence[EntryProblem]) -> list[Unusable]:
    """The entries that did not become accounts, as the preview names them: "Entry 3 (GitHub
    / alice)" from what entry_hint may show of it, never the entry's text."""
    found = []
    for number, problem in enumerate(problems, start=1):
        hint = entry_hint(problem.raw)
        if hint:
            title = f"Entry {number} ({hint})"
        elif problem.raw.strip():
            title = f"Entry {number}"
        else:  # not an entry of the file, but a part missing from it (a QR code of a set)
            title = "Missing"
        found.append(Unusable(title, shown(problem.reason, 300)))
    return found
