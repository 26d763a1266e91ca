"""What the add window collects from QR codes, links and pasted text, before anything is saved.

Besides accounts it recognises push sign-in set-ups (keyfob://enroll links), which it offers
separately: they are registered with the site's push server, not added as accounts.
Every code read is offered once; a Google Authenticator export (otpauth-migration://) comes as
several QR codes, and the harvest tracks which of them were read ("QR 2 of 3 read"), so none
is silently missed. Accounts already in the vault are offered as duplicates, not added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.core.account import Account
from app.core.errors import KeyfobError
from app.core.migration import parse_migration
from app.core.migration_progress import ExportProgress, MigrationProgress
from app.core.uri import parse_otpauth

OTPAUTH = "otpauth://"
MIGRATION = "otpauth-migration://"
KEYFOB_ENROLL = "keyfob://enroll"


@dataclass
class Found:
    account: Account
    duplicate: bool  # already in the vault


@dataclass
class PushFound:
    """A push sign-in set-up read from a keyfob://enroll link."""

    text: str = field(repr=False)  # the link itself: it holds a one-time secret
    issuer: str
    user: str
    server: str
    eid: str


@dataclass
class TakeResult:
    """What one text did: accounts new to the list, and why a text was not usable."""

    added: list[Found] = field(default_factory=list)
    repeated: int = 0  # read before in this window
    problems: list[str] = field(default_factory=list)
    not_otp: int = 0  # QR codes or texts that are not two-factor setup codes
    push: list[PushFound] = field(default_factory=list)  # push sign-in set-ups new to the list


def looks_like_enrollment(text: str) -> bool:
    """Whether a pasted or dropped text holds an otpauth://, otpauth-migration:// or
    keyfob://enroll link."""
    lowered = text.lower()
    return OTPAUTH in lowered or MIGRATION in lowered or KEYFOB_ENROLL in lowered


class Harvest:
    """The accounts found so far in this add window, in the order they were found."""

    def __init__(self, is_known: Callable[[Account], bool]) -> None:
        self._is_known = is_known
        self.found: list[Found] = []
        self.push_found: list[PushFound] = []
        self.progress = MigrationProgress()  # the QR codes read of each Google export
        self._identities: set[tuple[bytes, str, str]] = set()

    def take_texts(self, texts: Iterable[str]) -> TakeResult:
        result = TakeResult()
        for text in texts:
            self._take(text, result)
        return result

    def take_pasted(self, text: str) -> TakeResult:
        """A pasted or dropped text: every link in it, one per line (or word)."""
        links = [
            word
            for word in text.split()
            if word.lower().startswith((OTPAUTH, MIGRATION, KEYFOB_ENROLL))
        ]
        if not links:
            return TakeResult(not_otp=1)
        return self.take_texts(links)

    def _take(self, text: str, result: TakeResult) -> None:
        stripped = text.strip()
        lowered = stripped.lower()
        try:
            if lowered.startswith(MIGRATION):
                batch = parse_migration(stripped)
                self.progress.add(batch)  # a repeated code's accounts are repeats below
                accounts = batch.accounts
            elif lowered.startswith(OTPAUTH):
                accounts = [parse_otpauth(stripped)]
            elif lowered.startswith(KEYFOB_ENROLL):
                self._take_push(stripped, result)
                return
            else:
                result.not_otp += 1
                return
        except KeyfobError as error:
            result.problems.append(str(error))
            return
        for account in accounts:
            identity = account.identity()
            if identity in self._identities:
                result.repeated += 1
                continue
            self._identities.add(identity)
            found = Found(account, self._is_known(account))
            self.found.append(found)
            result.added.append(found)

    def _take_push(self, text: str, result: TakeResult) -> None:
        # The push code (and its crypto) loads only when such a link turns up.
        from app.push.enrollment import parse_enroll_uri

        uri = parse_enroll_uri(text)  # PushUriError is a KeyfobError: reported as a problem
        if any(p.eid == uri.eid and p.server == uri.url for p in self.push_found):
            result.repeated += 1
            return
        found = PushFound(text, uri.issuer, uri.user, uri.url, uri.eid)
        self.push_found.append(found)
        result.push.append(found)

    def incomplete_batches(self) -> list[ExportProgress]:
        return self.progress.incomplete()
