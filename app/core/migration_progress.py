"""Which QR codes of a Google Authenticator export have been read ("QR 2 of 3 read").

An export of many accounts spans several otpauth-migration:// QR codes sharing a `batch_id`,
each saying it is `batch_index` of `batch_size`. Whoever reads them (the add window, the
importer, `keyfob add`) tracks them here, so none is dropped without a word; each face says
it in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.migration import MigrationBatch


@dataclass
class ExportProgress:
    """The QR codes read so far of one export (one `batch_id`)."""

    batch_id: int
    size: int
    read: set[int] = field(default_factory=set)  # 0-based indexes

    @property
    def complete(self) -> bool:
        return len(self.read) >= self.size

    def read_numbers(self) -> list[int]:
        """1-based numbers of the QR codes read, in order."""
        return [index + 1 for index in sorted(self.read)]

    def missing(self) -> list[int]:
        """1-based numbers of the QR codes not read yet."""
        return [index + 1 for index in range(self.size) if index not in self.read]


class MigrationProgress:
    """Every export whose QR codes were read, in the order each was first seen.

    A payload of a one-code export (`batch_size` 1) needs no tracking and is not listed.
    """

    def __init__(self) -> None:
        self._exports: dict[int, ExportProgress] = {}

    def add(self, batch: MigrationBatch) -> bool:
        """Record a QR code read; False if this very QR code of a multi-code export was read
        before (a repeat, whose accounts are already in)."""
        if batch.batch_size <= 1:
            return True
        export = self._exports.setdefault(
            batch.batch_id, ExportProgress(batch.batch_id, batch.batch_size)
        )
        # A later code may say the export is larger: the largest size read stands.
        export.size = max(export.size, batch.batch_size)
        if batch.batch_index in export.read:
            return False
        export.read.add(batch.batch_index)
        return True

    @property
    def exports(self) -> list[ExportProgress]:
        return list(self._exports.values())

    def incomplete(self) -> list[ExportProgress]:
        return [export for export in self._exports.values() if not export.complete]
