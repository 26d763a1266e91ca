"""The importer contract, and the scaffold every importer shares, written once.

An importer turns bytes into accounts plus per-entry problems. `FileImporter` is Aegis's
DatabaseImporter idea: the size check, the parsed views of the file (`SourceView`), the
"not X" and password errors, the rule that a bad entry is a problem while a bad file is an
ImportFormatError, and the cap on entries live here; each importer keeps only what is its own:
how it knows its file, how it decrypts, how an entry becomes an account.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Generic, Protocol, TypeVar

from app.core.account import Account
from app.core.errors import AccountError, UriError
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.view import SourceView, parse_json, text_or_none

MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any real export; refused before any parsing
MAX_ENTRIES = 100_000

T = TypeVar("T")
DocumentT = TypeVar("DocumentT")


@dataclass(frozen=True)
class EntryProblem:
    """One entry of the file that did not become an account.

    `raw` is the entry as found in the file (after decryption). It may hold the secret, so it
    is for the import preview only: it is left out of `repr` and must never be logged or put
    in an exception.
    """

    raw: str = field(repr=False)
    reason: str


@dataclass(frozen=True)
class ImportResult:
    accounts: list[Account]
    problems: list[EntryProblem]


class Importer(Protocol):
    """Reads one app's export. `read` raises only ImportFormatError and its subclasses."""

    name: ClassVar[str]  # "aegis": what --from takes
    title: ClassVar[str]  # "Aegis Authenticator": what people are shown

    def sniff(self, source: SourceView) -> bool:
        """True when the file is this importer's. Never raises.

        `source` is shared by every importer's sniff (each parse is done once, for all):
        read it, never change what it holds. Its filename is only a hint.
        """
        ...

    def needs_password(self, data: bytes) -> bool:
        """True when `read` cannot succeed without a password."""
        ...

    def read(self, data: bytes, password: str | None) -> ImportResult: ...


class EntryError(Exception):
    """One entry cannot be used. The message says why, in words safe to show.

    Raised while converting an entry, it makes that entry a problem; raised about the file's
    structure (outside `Entries.convert`), `FileImporter.read` reports the file as damaged.
    """


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFormatError(
            f"the file is too large ({len(data) // (1024 * 1024)} MiB) to be an "
            "authenticator export"
        )


def raw_json(value: object) -> str:
    """An entry as text for the preview."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        return "(an entry nested too deeply to show)"


class Entries:
    """Collects accounts and problems; one bad entry never stops the import."""

    def __init__(self) -> None:
        self.accounts: list[Account] = []
        self.problems: list[EntryProblem] = []

    def problem(self, raw: str, reason: str) -> None:
        self._check_count()
        self.problems.append(EntryProblem(raw=raw, reason=reason))

    def _check_count(self) -> None:
        if len(self.accounts) + len(self.problems) >= MAX_ENTRIES:
            raise ImportFormatError(f"the file holds more than {MAX_ENTRIES} entries")

    def add(self, account: Account) -> None:
        self._check_count()
        self.accounts.append(account)

    def convert(self, raw: str, build: Callable[[], Account | None]) -> None:
        """Run `build`; a bad entry becomes a problem with `raw`. None means: skip quietly."""
        self._check_count()
        try:
            account = build()
        except (EntryError, AccountError, UriError) as error:
            self.problem(raw, str(error) or "the entry cannot be read")
            return
        if account is not None:
            self.accounts.append(account)

    def convert_all(
        self,
        items: Iterable[T],
        build: Callable[[T], Account | None],
        raw: Callable[[T], str] = raw_json,
    ) -> None:
        for item in items:
            self.convert(raw(item), functools.partial(build, item))

    def result(self) -> ImportResult:
        return ImportResult(accounts=self.accounts, problems=self.problems)


class FileImporter(ABC):
    """The steps every import takes, in one place; a subclass says what is its own.

    `read` refuses an oversized file, hands `collect` the file's lazily parsed views, and
    turns an EntryError about the file's structure into "the file is damaged". The helpers
    below give every importer the same words for the same situation.
    """

    name: ClassVar[str]  # "aegis": what --from takes
    title: ClassVar[str]  # "Aegis Authenticator": what people are shown
    document: ClassVar[str]  # "an Aegis vault": what the file is, in messages

    @abstractmethod
    def sniff(self, source: SourceView) -> bool:
        """True when the file is this importer's (see `Importer.sniff`). Never raises."""

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        entries = Entries()
        try:
            self.collect(SourceView(data), password, entries)
        except EntryError as error:  # entries' own errors were caught by Entries.convert
            raise ImportFormatError(f"the file is damaged: {error}") from None
        return entries.result()

    @abstractmethod
    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        """Decrypt when needed and put every entry into `entries`, as an account or a problem.

        Raises ImportFormatError (or its password subclasses) when the file cannot be read.
        """

    @property
    def this(self) -> str:
        """The document with "this" for its article: "this Aegis vault"."""
        return "this " + self.document.partition(" ")[2]

    def not_this(self, why: str) -> ImportFormatError:
        return ImportFormatError(f"not {self.document}: {why}")

    def password_given(self, password: str | None) -> str:
        """The password of an encrypted file; PasswordRequiredError when there is none."""
        if password is None:
            raise PasswordRequiredError(f"{self.this} is encrypted: give its password")
        return password

    def wrong_password(self) -> WrongPasswordError:
        return WrongPasswordError(f"wrong password for {self.this}")

    def text_of(self, source: SourceView) -> str:
        if source.text is None:
            raise self.not_this("the file is not UTF-8 text")
        return source.text

    def lines_of(self, source: SourceView) -> list[str]:
        """The content lines of a text file (no blanks, no comments); refused when none."""
        self.text_of(source)
        if not source.lines:
            raise self.not_this("the file has no lines")
        return source.lines

    def load_json(self, text: str | bytes, *, part: str = "") -> object:
        """Parse JSON the file holds (`part` of it: "decrypted"), or say it is not this format."""
        what = f"{self.document} ({part})" if part else self.document
        decoded = text_or_none(text) if isinstance(text, bytes) else text
        if decoded is None:
            raise ImportFormatError(f"not {what}: the file is not UTF-8 text")
        try:
            return parse_json(decoded)
        except ValueError:
            raise ImportFormatError(f"not {what}: the file is not valid JSON") from None


class JsonImporter(FileImporter, Generic[DocumentT]):
    """A format whose file is one JSON document that `recognise` knows by its shape."""

    missing: ClassVar[str]  # what another JSON file lacks: "no header and db"

    @abstractmethod
    def recognise(self, value: object) -> DocumentT | None:
        """`value` (the file as JSON) as this format's document, or None when it is not."""

    @abstractmethod
    def collect_document(self, document: DocumentT, password: str | None, entries: Entries) -> None:
        """Put every entry of `document` into `entries` (decrypting first if `encrypted`)."""

    def encrypted(self, document: DocumentT) -> bool:
        return False

    def sniff(self, source: SourceView) -> bool:
        return self.recognise(source.json) is not None

    def needs_password(self, data: bytes) -> bool:
        document = self.recognise(SourceView(data).json)
        return document is not None and self.encrypted(document)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        document = self.recognise(source.json)
        if document is None:
            raise self.not_this(self.missing)
        self.collect_document(document, password, entries)
