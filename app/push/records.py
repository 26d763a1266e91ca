"""The push enrollments a vault keeps in its `push` list, read and changed the same way by the
desktop app and the CLI.

The change functions edit a `VaultContent` in place and are meant to run inside
`Vault.modify`, which hands them the latest content under the OS lock, so an enrollment
another Keyfob added or removed meanwhile is kept as it is. The history of requests lives in
the same objects (app.push.history); removing an enrollment removes its history with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.push.enrollment import PushEnrollment
from app.push.errors import EnrollmentError

if TYPE_CHECKING:
    from app.vault.content import VaultContent


@dataclass(frozen=True)
class UnreadableRecord:
    """An entry of the `push` list that is not an enrollment this Keyfob can use."""

    position: int  # 1-based, in the vault's `push` list
    reason: str  # EnrollmentError's words: never a key


@dataclass(frozen=True)
class EnrollmentRecords:
    usable: list[PushEnrollment] = field(default_factory=list)
    unreadable: list[UnreadableRecord] = field(default_factory=list)


def read_records(push: Sequence[Mapping[str, object]]) -> EnrollmentRecords:
    """Every entry of a vault's `push` list, as an enrollment or as why it is not one.

    Reading changes nothing: an entry a newer Keyfob wrote stays in the vault untouched.
    """
    records = EnrollmentRecords()
    for position, raw in enumerate(push, start=1):
        try:
            records.usable.append(PushEnrollment.from_dict(raw))
        except EnrollmentError as error:
            records.unreadable.append(UnreadableRecord(position, str(error)))
    return records


def read_enrollments(push: Sequence[Mapping[str, object]]) -> list[PushEnrollment]:
    """The usable enrollments of a vault's `push` list (an unreadable entry is skipped)."""
    return read_records(push).usable


def same_site_and_account(enrollment: PushEnrollment, url: str, issuer: str, user: str) -> bool:
    return (enrollment.url, enrollment.issuer, enrollment.user) == (url, issuer, user)


def enrolled_for(enrollments: Iterable[PushEnrollment], url: str, issuer: str, user: str) -> bool:
    """Whether one of `enrollments` is already for that server, site and account (a second
    one is allowed: both get each request, so people are told rather than refused)."""
    return any(same_site_and_account(e, url, issuer, user) for e in enrollments)


def add_enrollment(content: VaultContent, enrollment: PushEnrollment) -> bool:
    """Keep a new enrollment; True when the vault already had one for its site and account."""
    already = enrolled_for(
        read_enrollments(content.push), enrollment.url, enrollment.issuer, enrollment.user
    )
    content.push.append(enrollment.to_dict())
    return already


def remove_enrollment(content: VaultContent, device_id: str) -> bool:
    """Forget an enrollment and its history; False when the vault has none with that id."""
    kept = [record for record in content.push if record.get("device_id") != device_id]
    if len(kept) == len(content.push):
        return False
    content.push[:] = kept
    return True
