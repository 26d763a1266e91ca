"""Files on disk: reading a vault and the OS lock held while writing.

The atomic replace itself is app.core.files.atomic_write, shared with every other writer.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from app.vault.errors import VaultBusyError, VaultError, VaultFormatError, VaultNotFoundError

# Long enough for any real save by another process (milliseconds), short enough that a hung
# process holding the lock surfaces as an error instead of a frozen window.
LOCK_TIMEOUT_SECONDS = 10.0
# Only the owner may read the vault's folder or touch its lock file, whatever the umask: a
# lock another local user could open is a lock they could hold, making every save fail.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def real_path(path: Path | str) -> Path:
    """The file a path names, through symlinks: a vault symlinked into a synced folder must be
    replaced there, not have its symlink replaced by a regular file."""
    return Path(os.path.realpath(Path(path).expanduser()))


def lock_path(vault_path: Path) -> Path:
    return vault_path.with_name(vault_path.name + ".lock")


@contextlib.contextmanager
def write_lock(vault_path: Path) -> Iterator[None]:
    """Hold the vault's OS file lock (flock / LockFileEx via filelock) for a write.

    Only writers lock: saves are atomic renames, so a reader always sees a whole file.
    """
    import filelock  # 13 ms to import: `keyfob code` only reads and should not pay for it

    path = lock_path(vault_path)
    _tighten(path)
    # An explicit mode is applied with fchmod after creation, so the umask cannot widen it.
    lock = filelock.FileLock(str(path), timeout=LOCK_TIMEOUT_SECONDS, mode=PRIVATE_FILE_MODE)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise VaultBusyError(
            f"another Keyfob process has been saving {vault_path} for over "
            f"{LOCK_TIMEOUT_SECONDS:.0f} s: try again, or close the other Keyfob"
        ) from None
    except OSError as error:
        raise io_error("lock", vault_path, error) from None
    try:
        yield
    finally:
        lock.release()


def _tighten(path: Path) -> None:
    """Make a lock file left readable by others (by an older Keyfob) private to its owner."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and mode & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_FILE_MODE)


def make_private_dir(folder: Path) -> None:
    """Create `folder` (and missing parents) if needed; the folder itself only for its owner.

    The mode is set after creation because mkdir's is filtered through the umask. A folder
    that already exists is left as it is: it may be one the user chose and shares on purpose.
    """
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if folder.is_dir():
            return  # made meanwhile by another Keyfob, which set its mode
        raise  # a file where the folder should be
    os.chmod(folder, PRIVATE_DIR_MODE)


def make_vault_dir(vault_path: Path) -> None:
    """Create the folder a new vault file goes in (see make_private_dir); VaultError if not."""
    try:
        make_private_dir(vault_path.parent)
    except OSError as error:
        raise io_error("create the folder of", vault_path, error) from None


def sweep_temp_files(folder: Path, prefix: str) -> None:
    """Delete the temporary files (`prefix` + mkstemp's 8 random characters + `.tmp`) that a
    save killed midway (kill -9, power loss) left in `folder`.

    Call it with the write lock held: every Keyfob writes these files only under that lock, so
    any found then belongs to no save in progress. The exact shape keeps the temporary files
    of another vault in the same folder ("vault.json.bak", with its own lock) out of it.
    """
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}\.tmp")
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return
    for name in names:
        if pattern.fullmatch(name):
            with contextlib.suppress(OSError):  # gone already, or not ours to delete: harmless
                os.unlink(folder / name)


def read_file(path: Path, what: str = "vault") -> bytes | None:
    """The file's bytes, or None if it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise VaultFormatError(f"{path} is a folder, not a Keyfob {what}") from None
    except OSError as error:
        raise io_error("read", path, error) from None


def read_existing(path: Path, what: str = "vault") -> bytes:
    data = read_file(path, what)
    if data is None:
        if what == "vault":
            raise VaultNotFoundError(f"no vault at {path}: create one with `keyfob init`")
        raise VaultNotFoundError(f"no {what} at {path}")
    return data


def io_error(action: str, path: Path, error: OSError) -> VaultError:
    """A VaultError for a failed file operation: what, where, and the OS's reason."""
    reason = error.strerror or type(error).__name__
    return VaultError(f"cannot {action} {path}: {reason}")
