"""The push enrollments a vault holds, as every push command reads them.

Light at import, like push_commands (whose parser main.py builds for every command): the
push code loads when the enrollments are read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cli.output import note

if TYPE_CHECKING:
    from app.push.enrollment import PushEnrollment
    from app.vault.content import VaultContent


def read_enrollments(content: VaultContent) -> list[PushEnrollment]:
    """The usable enrollments; one the app cannot read is skipped with a note."""
    from app.push.enrollment import PushEnrollment
    from app.push.errors import EnrollmentError

    found: list[PushEnrollment] = []
    for index, raw in enumerate(content.push, start=1):
        try:
            found.append(PushEnrollment.from_dict(raw))
        except EnrollmentError as error:
            note(f"keyfob: push enrollment {index} in the vault is unreadable and skipped: {error}")
    return found
