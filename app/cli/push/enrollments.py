"""The push enrollments of a vault, as every push command reads them: the usable ones, and a
note on stderr for each one this Keyfob cannot read (which stays in the vault untouched).

Light at import, like commands (whose parser main.py builds for every command): the push
code loads when the enrollments are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cli.output import note

if TYPE_CHECKING:
    from app.push.enrollment import PushEnrollment
    from app.vault.content import VaultContent


def read_enrollments(content: VaultContent) -> list[PushEnrollment]:
    """The usable enrollments; one the app cannot read is skipped with a note."""
    from app.push.records import read_records

    records = read_records(content.push)
    for record in records.unreadable:
        note(
            f"keyfob: push enrollment {record.position} in the vault is unreadable and skipped: "
            f"{record.reason}"
        )
    return records.usable
