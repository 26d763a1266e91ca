"""The highest revision seen of each vault, remembered outside it, to notice a rollback.

A vault's revision is authenticated, so no file can pass for newer or older than it is; but
an older genuine file (a copy put back, a sync tool bringing back a stale version) opens like
any other, with a HOTP counter that goes back and accounts deleted since. Keyfob remembers per
vault id the highest revision it has opened or written, in the user's state folder (not next
to the vault, where whoever puts an old file back could put an old memory back too), and says
so when a vault opens below it. A restore the user asks for is not a rollback: it is saved as
a new, higher revision (see `restore_backup`).

The memory is a convenience, never a reason to fail: if its file cannot be read or written,
opening and saving go on as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.core.files import atomic_write
from app.vault.encoding import loads_strict
from app.vault.fileio import make_private_dir

STATE_FILE = "revisions.json"
FORMAT = "keyfob-revisions"
MAX_STATE_BYTES = 1024 * 1024  # ~20,000 vaults; a bigger file is not ours
MAX_VAULTS = 1000  # the least recently seen are forgotten beyond this


@dataclass(frozen=True, slots=True)
class Rollback:
    """A vault opened at `revision`, below the `highest` revision Keyfob had seen of it."""

    vault_id: str
    revision: int
    highest: int


class RevisionLog:
    """`revisions.json` in `folder`: {"format": ..., "vaults": {vault id: highest revision}}."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STATE_FILE

    def __repr__(self) -> str:
        return f"RevisionLog({str(self.folder)!r})"

    @classmethod
    def default(cls) -> RevisionLog:
        """The user's: $KEYFOB_STATE_DIR, else the per-user state folder."""
        from app.vault.paths import default_state_dir

        return cls(default_state_dir())

    def highest(self, vault_id: str) -> int | None:
        """The highest revision seen of this vault, or None if never seen (or unreadable)."""
        return self._read().get(vault_id)

    def observe(self, vault_id: str, revision: int) -> Rollback | None:
        """A vault is open at `revision`: a Rollback if that is below what was seen before.

        A higher revision is remembered; a lower one is not (the next save goes above the
        highest, see `Vault._save`), so the notice stays until the vault moves on.
        """
        seen = self.highest(vault_id)
        if seen is not None and revision < seen:
            return Rollback(vault_id, revision, seen)
        if seen is None or revision > seen:
            self.remember(vault_id, revision)
        return None

    def remember(self, vault_id: str, revision: int) -> None:
        """Raise the remembered revision of this vault to `revision` (never lower it)."""
        import filelock

        try:
            make_private_dir(self.folder)
            lock = filelock.FileLock(str(self.path) + ".lock", timeout=5, mode=0o600)
            with lock:
                # Read again under the lock: another Keyfob may have written meanwhile.
                seen = self._read()
                if seen.get(vault_id, -1) >= revision:
                    return
                seen.pop(vault_id, None)  # re-inserted last: the most recently seen
                seen[vault_id] = revision
                while len(seen) > MAX_VAULTS:
                    del seen[next(iter(seen))]
                atomic_write(self.path, _encode(seen))
        except (OSError, filelock.Timeout):
            return  # see the module's docstring: the memory never stops a save

    def _read(self) -> dict[str, int]:
        try:
            with open(self.path, "rb") as file:
                raw = file.read(MAX_STATE_BYTES + 1)
        except OSError:
            return {}
        return decode(raw)


def decode(raw: bytes) -> dict[str, int]:
    """The revisions in a state file; {} for anything that is not one (it is rewritten whole
    on the next save). Entries that are not a text id and a whole number are skipped."""
    if len(raw) > MAX_STATE_BYTES:
        return {}
    try:
        document = loads_strict(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return {}
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return {}
    vaults = document.get("vaults")
    if not isinstance(vaults, dict):
        return {}
    return {
        vault_id: revision
        for vault_id, revision in vaults.items()
        if isinstance(revision, int) and not isinstance(revision, bool) and revision >= 0
    }


def _encode(seen: dict[str, int]) -> bytes:
    return (json.dumps({"format": FORMAT, "vaults": seen}, indent=1) + "\n").encode("ascii")
