"""What the import wizard does without Qt: read the chosen files, sort what they hold, add it.

Reading and decrypting happen in a worker thread (a KDF takes a second), so everything here
is plain Python. Nothing is written until `add_chosen` runs inside one `Vault.modify`: the
import is all or nothing, and a cancelled wizard leaves the vault as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.account import Account, new_uuid
from app.formats.labels import entry_hint, shown
from app.formats.sources import QR_TEXT_NAME, READ_LIMIT, is_image
from app.ui.errors import UiError

if TYPE_CHECKING:
    from app.formats.base import EntryProblem, Importer, ImportResult
    from app.vault.content import VaultContent


class ImportReadError(UiError):
    """The chosen files cannot be imported (unreadable, no QR code, unknown format)."""


@dataclass(frozen=True)
class LoadedFile:
    """The chosen files, read and recognised, not yet decrypted or converted."""

    name: str  # what the wizard calls it: a file name, or "3 QR code images"
    data: bytes = field(repr=False)
    importer: Importer
    encrypted: bool

    @property
    def format_title(self) -> str:
        """ "Aegis Authenticator (encrypted)": the format as people are shown it."""
        title = self.importer.title
        return f"{title} (encrypted)" if self.encrypted else title


class EntryState(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"  # same secret, issuer and name as an account in the vault
    REPEATED = "repeated"  # the same account appears earlier in the file


@dataclass(frozen=True)
class PreviewEntry:
    account: Account
    state: EntryState


@dataclass(frozen=True)
class Unusable:
    """An entry of the file that is not an account: a short name (never its text) and why."""

    title: str  # "Entry 3 (GitHub / alice)"
    reason: str


@dataclass(frozen=True)
class Preview:
    entries: list[PreviewEntry]
    unusable: list[Unusable]

    def count(self, state: EntryState) -> int:
        return sum(1 for entry in self.entries if entry.state is state)


@dataclass(frozen=True)
class ImportOutcome:
    """What one import saved: the accounts added, and those found in the vault meanwhile."""

    added: list[Account]
    skipped: int


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(READ_LIMIT)
    except IsADirectoryError:
        raise ImportReadError(f"{path.name} is a folder: choose the export file in it") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ImportReadError(f"cannot read {path.name}: {reason}") from None


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(16)
    except OSError:
        return b""


def claimed_export(paths: Sequence[Path]) -> bool:
    """True when `paths` is one file (not an image) that an importer recognises.

    For a drop on the main window: images go to the add window, exports to the wizard.
    """
    if len(paths) != 1 or not paths[0].is_file() or is_image(_head(paths[0])):
        return False
    from app.formats import registry

    try:
        data = _read(paths[0])
    except ImportReadError:
        return False
    return bool(registry.claimants(data, paths[0].name))


def load_files(paths: Sequence[Path]) -> LoadedFile:
    """Read and recognise the chosen files: one export file, or QR code images.

    The QR codes of a Google Authenticator transfer span several images: they are read
    together, so its batches are checked as a whole ("QR 2 of 3 missing").
    """
    from app.formats import registry
    from app.formats.errors import ImportFormatError

    if not paths:
        raise ImportReadError("choose a file to import")
    files = [(path, _read(path)) for path in paths]
    images = [(path, data) for path, data in files if is_image(data)]
    if len(images) != len(files) and len(files) > 1:
        raise ImportReadError(
            "choose one export file at a time (several files only for QR code images)"
        )
    if images:
        texts = _qr_texts(images)
        data = "\n".join(texts).encode("utf-8", "replace")
        filename = QR_TEXT_NAME
        name = paths[0].name if len(paths) == 1 else f"{len(paths)} QR code images"
    else:
        data, filename, name = files[0][1], paths[0].name, paths[0].name
    try:
        importer = registry.detect(data, filename)
    except ImportFormatError as error:
        if images:
            raise ImportReadError(
                "the QR codes are not an export Keyfob knows: to add a single account's "
                "QR code, use Add ▸ Image file instead"
            ) from None
        raise ImportReadError(f"{name}: {error}") from None
    return LoadedFile(name, data, importer, importer.needs_password(data))


def _qr_texts(images: Sequence[tuple[Path, bytes]]) -> list[str]:
    from app.qr.decode import decode_image_bytes
    from app.qr.errors import QrError

    texts: list[str] = []
    for path, data in images:
        try:
            found = decode_image_bytes(data)
        except QrError as error:
            raise ImportReadError(f"{path.name}: {error}") from None
        if not found:
            raise ImportReadError(
                f"no QR code found in {path.name}: make sure the whole code is in the picture"
            )
        texts += [text for text in found if text not in texts]
    return texts


def read_loaded(loaded: LoadedFile, password: str | None) -> ImportResult:
    """Decrypt (if need be) and convert. Raises ImportFormatError and its subclasses."""
    return loaded.importer.read(loaded.data, password)


def make_preview(result: ImportResult, known: set[tuple[bytes, str, str]]) -> Preview:
    """Each account marked new, already in the vault, or repeated within the file."""
    seen: set[tuple[bytes, str, str]] = set()
    entries = []
    for account in result.accounts:
        identity = account.identity()
        if identity in known:
            state = EntryState.DUPLICATE
        elif identity in seen:
            state = EntryState.REPEATED
        else:
            state = EntryState.NEW
        seen.add(identity)
        entries.append(PreviewEntry(account, state))
    return Preview(entries, unusable(result.problems))


def unusable(problems: Sequence[EntryProblem]) -> list[Unusable]:
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


def add_chosen(content: VaultContent, chosen: Sequence[Account]) -> ImportOutcome:
    """Add `chosen` to `content` (inside `Vault.modify`): duplicates are checked again, as
    the vault may have changed since the preview; a uuid already taken gets a new one; new
    group names join the group list."""
    seen = {account.identity() for account in content.accounts}
    uuids = {account.uuid for account in content.accounts}
    known_groups = set(content.groups)
    added: list[Account] = []
    skipped = 0
    for account in chosen:
        if account.identity() in seen:
            skipped += 1
            continue
        stored = replace(account, uuid=new_uuid()) if account.uuid in uuids else account
        seen.add(stored.identity())
        uuids.add(stored.uuid)
        added.append(stored)
        for group in stored.groups:
            if group not in known_groups:
                known_groups.add(group)
                content.groups.append(group)
    content.accounts.extend(added)
    return ImportOutcome(added, skipped)
