"""The importer contract: bytes in, accounts plus per-entry problems out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from app.core.account import Account
from app.formats.view import SourceView


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
