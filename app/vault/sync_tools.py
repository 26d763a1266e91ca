"""The names sync tools give the conflict copies they leave beside a file.

When two computers change a synced file before hearing of each other, the tool keeps one
version under the file's name and the other under a name of its own making, in the same
folder. Each pattern below is what the tool's own code or documentation makes, cited:

- Syncthing: `vault.sync-conflict-20261204-153045-ABCDEFG.json` (the short id of the device
  whose change lost; versions before device ids ended at the time). lib/model/
  folder_sendrecv.go, `conflictName`; docs.syncthing.net/users/syncing.html, "Conflicting
  Changes".
- Nextcloud and ownCloud desktop clients: `vault (conflicted copy 2026-12-04 153045).json`,
  with the user's name before the date when the server takes conflict uploads
  (`vault (conflicted copy Alice 2026-12-04 153045).json`); clients before 2.5 wrote
  `vault_conflict-20261204-153045.json` (`_conflict_USER-` when told a user name). Nextcloud
  also keeps a file whose name differs only in case as `vault (case clash from 2026-12-04
  153045).json`. src/common/utility.cpp, `Utility::makeConflictFileName`,
  `isConflictFile` and `makeCaseClashConflictFileName` (nextcloud/desktop, owncloud/client);
  the pre-2.5 name in src/libsync/propagatedownload.cpp.
- Dropbox: `vault (Alice's conflicted copy 2026-12-04).json` - "the editor's username,
  'conflicted copy', and the save date" (help.dropbox.com/syncing-uploads/conflicted-copy);
  older clients left out the date and numbered repeats, `(... conflicted copy) (1)`.
  Names that clash on a case-insensitive disk become `vault (Case Conflict).json` or
  `vault (Unicode Encoding Conflict).json`.
- OneDrive: the losing file gets the computer's name, `vault-DESKTOP-AB12CD.json`, then
  `vault-DESKTOP-AB12CD-2.json`; the Linux client (abraunegg/onedrive, which follows
  OneDrive's own clients here) writes `vault-HOSTNAME-safeBackup-0001.json` since v2.5.3
  (docs/client-architecture.md, "File conflict handling").
- Google Drive: a second file of the same name is kept as `vault (1).json`, `vault (2).json`.
- Seafile: `vault (SFConflict alice@example.com 2026-12-04-15-30-45).json`, or without the
  modifier. common/vc-common.c, `gen_conflict_path` (haiwen/seafile).

A copy of a copy carries two marks (`vault (1) (conflicted copy ...).json`), so a name is a
conflict copy when what follows the vault's stem, before its extension, is one or more marks.
Stem and extension compare without case: the tools run on disks that ignore it, and a name
that is not a copy of this vault is found out by its content anyway (another vault id).

pCloud and Resilio Sync are left out: their names could not be confirmed from their code or
documentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SYNCTHING = "Syncthing"
NEXTCLOUD = "Nextcloud or ownCloud"
DROPBOX = "Dropbox"
ONEDRIVE = "OneDrive"
GOOGLE_DRIVE = "Google Drive"
SEAFILE = "Seafile"

_DATE = r"\d{4}-\d{2}-\d{2}"
# A user or host name inside a mark: no folder separator, no parenthesis (the tools replace
# them, so that the end of the mark can be found).
_WHO = r"[^()/\\]+"

# (tool, mark). Tried in this order at each place: the narrow marks before OneDrive's, whose
# computer name could otherwise take the start of another tool's mark.
_MARKS: tuple[tuple[str, str], ...] = (
    (SYNCTHING, r"\.sync-conflict-\d{8}-\d{6}(?:-[A-Za-z0-9]{7})?"),
    (NEXTCLOUD, rf" \(conflicted copy (?:{_WHO} )?{_DATE} \d{{6}}\)"),
    (NEXTCLOUD, rf" \(case clash from {_DATE} \d{{6}}\)"),
    (NEXTCLOUD, rf"_conflict(?:_{_WHO})?-\d{{8}}-\d{{6}}"),
    (DROPBOX, rf" \({_WHO}'s conflicted copy(?: {_DATE})?(?: \(\d+\))?\)"),
    (DROPBOX, r" \((?:Case|Unicode Encoding) Conflict\)"),
    (SEAFILE, rf" \(SFConflict {_WHO}\)"),
    (GOOGLE_DRIVE, r" \(\d{1,4}\)"),
    # Windows computer names are letters, digits and hyphens, never digits alone (so
    # "vault-2.json" is no copy); a dot would start Syncthing's mark. "-safeBackup-0001" and
    # "-2" after the name are part of the mark.
    (ONEDRIVE, r"-(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_][A-Za-z0-9_-]*"),
)
_COMPILED = tuple((tool, re.compile(mark, re.IGNORECASE)) for tool, mark in _MARKS)

# Names Keyfob itself writes that OneDrive's mark would take for a computer's name: the
# rotating backups (app.vault.backups) and the extra backup folder's copies
# (app.vault.extra_backup), should that folder be the vault's own.
_KEYFOB_COPY = re.compile(r"-(?:[0-9A-Za-z]{1,8}-)?\d{8}-\d{6}-\d{6}Z?(?:-\d+)?")


@dataclass(frozen=True, slots=True)
class VaultName:
    """The vault file's name split as the tools split it: the stem, then the extension."""

    stem: str
    suffix: str

    @classmethod
    def of(cls, name: str) -> VaultName:
        dot = name.rfind(".")
        if dot <= 0:  # no extension, or a name like ".vault": the tools append at the end
            return cls(name, "")
        return cls(name[:dot], name[dot:])

    def could_be_copy(self, name: str) -> bool:
        """A cheap first test: the stem at the start and the extension at the end."""
        folded = name.casefold()
        return (
            len(name) > len(self.stem) + len(self.suffix)
            and folded.startswith(self.stem.casefold())
            and folded.endswith(self.suffix.casefold())
        )


def conflict_tool(vault_name: str, name: str) -> str | None:
    """The sync tool that made `name` as a conflict copy of the file `vault_name` (both bare
    names in one folder), or None if it is no such copy (the vault itself included)."""
    vault = VaultName.of(vault_name)
    if not vault.could_be_copy(name):
        return None
    marks = name[len(vault.stem) : len(name) - len(vault.suffix)]
    if _KEYFOB_COPY.fullmatch(marks):
        return None
    return _last_mark(marks)


def _last_mark(marks: str) -> str | None:
    """The tool of the last of the marks that make up all of `marks`; None if they do not."""
    position, tool = 0, None
    while position < len(marks):
        for name, mark in _COMPILED:
            match = mark.match(marks, position)
            if match:
                position, tool = match.end(), name
                break
        else:
            return None
    return tool
