"""Files on disk: reading a vault, the atomic replace, and the OS lock held while writing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from app.vault.errors import VaultBusyError, VaultError, VaultFormatError, VaultNotFoundError

# Long enough for any real save by another process (milliseconds), short enough that a hung
# process holding the lock surfaces as an error instead of a frozen window.
LOCK_TIMEOUT_SECONDS = 10.0


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

    lock = filelock.FileLock(str(lock_path(vault_path)), timeout=LOCK_TIMEOUT_SECONDS)
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


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old file or the new, never half.

    Temporary file in the same folder (same file system, so the rename is atomic), written,
    flushed and fsynced, renamed over the target, then the folder fsynced so the rename
    itself is durable. On any failure the temporary file is removed and the target untouched.
    """
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def io_error(action: str, path: Path, error: OSError) -> VaultError:
    """A VaultError for a failed file operation: what, where, and the OS's reason."""
    reason = error.strerror or type(error).__name__
    return VaultError(f"cannot {action} {path}: {reason}")
