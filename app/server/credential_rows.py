"""How `keyfob-server apikey list` and `duo list` print credentials: one tab-separated row
each (its id, its site, when it was made, active or when revoked; times in UTC), and a
hint on stderr when there are none, so scripts read stdout and people read both."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple


class CredentialRow(NamedTuple):
    key: str  # the API key's id or the integration key: never a secret
    rp: str
    created_at: int
    revoked_at: int | None


def when(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_rows(rows: Sequence[CredentialRow], hint_when_none: str) -> None:
    for row in rows:
        state = "active" if row.revoked_at is None else f"revoked {when(row.revoked_at)}"
        print(f"{row.key}\t{row.rp}\t{when(row.created_at)}\t{state}")
    if not rows:
        print(hint_when_none, file=sys.stderr)
