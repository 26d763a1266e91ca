"""Tracking the QR codes of a Google Authenticator export: which were read, which are missing."""

from __future__ import annotations

from app.core.account import Account
from app.core.migration import build_migration, parse_migration
from app.core.migration_progress import MigrationProgress


def batches(count: int, batch_id: int) -> list[str]:
    accounts = [Account(secret=bytes([i + 1]) * 10, issuer=f"Site {i}") for i in range(count)]
    return build_migration(accounts, batch_id=batch_id, per_batch=10)


def test_codes_read_and_missing_are_numbered_from_one() -> None:
    uris = batches(25, batch_id=7)
    progress = MigrationProgress()
    assert progress.add(parse_migration(uris[2]))
    assert progress.add(parse_migration(uris[0]))
    (export,) = progress.exports
    assert (export.batch_id, export.size) == (7, 3)
    assert export.read_numbers() == [1, 3]
    assert export.missing() == [2]
    assert progress.incomplete() == [export]
    assert progress.add(parse_migration(uris[1]))
    assert export.complete
    assert progress.incomplete() == []


def test_a_code_read_twice_is_a_repeat() -> None:
    uris = batches(15, batch_id=1)
    progress = MigrationProgress()
    assert progress.add(parse_migration(uris[0]))
    assert not progress.add(parse_migration(uris[0]))
    assert progress.exports[0].read_numbers() == [1]


def test_one_code_exports_are_not_tracked_and_exports_stay_apart() -> None:
    progress = MigrationProgress()
    single = parse_migration(batches(3, batch_id=5)[0])
    assert progress.add(single)
    assert progress.add(single)  # nothing to track, nothing to repeat
    assert progress.exports == []
    progress.add(parse_migration(batches(15, batch_id=8)[1]))
    progress.add(parse_migration(batches(25, batch_id=9)[0]))
    assert [(e.batch_id, e.missing()) for e in progress.exports] == [(8, [1]), (9, [2, 3])]
