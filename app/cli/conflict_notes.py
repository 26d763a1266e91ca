"""What the command line says about the sync tools' conflict copies beside the vault.

One line on stderr per copy (stdout stays the command's own output): merged and where it is
kept; one under another password, with the command that merges it; one left alone, with why
(the vault layer reports those once, app.vault.conflict_memory).

A copy under another password is named on every run, not once: unlike a file left alone,
it holds edits the vault does not have yet, and a notice that scrolled away once would leave
them unmerged without a word - the very loss merging copies exists to prevent. Within one run
it is named once, though the opening and the save both find it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from pathlib import Path

from app.cli.output import note
from app.vault.conflict_copies import (
    ANOTHER_VAULT,
    ConflictCopy,
    ConflictOutcome,
    CopyLeftAlone,
    CopyMerged,
)


def _copy(found: ConflictCopy, article: str = "the") -> str:
    return f'{article} {found.tool} conflict copy "{found.path.name}"'


def _kept_in(moved_to: Path) -> str:
    # Relative to the vault's folder, where the person looks: "backups/conflict-...".
    return f"{moved_to.parent.name}/{moved_to.name}"


def merged_line(merged: CopyMerged) -> str:
    first = _copy(merged.copy)
    return f"Merged {first} ({merged.report.summary()}); it is kept in {_kept_in(merged.moved_to)}"


def needs_password_line(found: ConflictCopy) -> str:
    command = f"keyfob merge {shlex.quote(str(found.path))} --source-password-file FILE"
    return (
        f"{_copy(found, 'The')} is under another password (changed on another "
        f"computer?): its changes are not in the vault until you run `{command}`"
    )


def left_alone_line(alone: CopyLeftAlone) -> str:
    hint = ""
    if alone.reason == ANOTHER_VAULT:
        quoted = shlex.quote(str(alone.copy.path))
        hint = f"; `keyfob merge {quoted}` adds its accounts to this vault if you want them"
    return f"Left {_copy(alone.copy)} as it is: {alone.reason}{hint} (said once only)"


class ConflictNotes:
    """Says each outcome on stderr; a copy under another password once per run."""

    def __init__(self) -> None:
        self._named: set[str] = set()  # real paths

    def say(self, outcomes: Iterable[ConflictOutcome]) -> None:
        for outcome in outcomes:
            for merged in outcome.merged:
                note(merged_line(merged))
            for needs in outcome.needs_password:
                where = os.path.realpath(needs.copy.path)
                if where not in self._named:
                    self._named.add(where)
                    note(needs_password_line(needs.copy))
            for alone in outcome.left_alone:
                note(left_alone_line(alone))
