"""An export written under the name the user chose, never over a file that is there.

`keyfob export` checks the destination early (before the password), but the password prompt
and the KDF take time, and a file or folder can appear at that name meanwhile: it may be the
vault itself or another export. So the files are made in a private folder beside the
destination and then given their names with hard links, which fail when a name is taken;
a later failure removes what this export published, and the private folder always goes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from app.cli.errors import CliError
from app.cli.output import shown_path
from app.formats.exporters.base import Exporter, ExportReport
from app.vault.content import VaultContent

# What os.link raises where the file system has no hard links.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


def check_destination(exporter: Exporter, destination: Path, out: str) -> bool:
    """Refuse early (before the password) what cannot be written; publishing checks again.
    True when the destination is a folder already there (a folder export writes into it)."""
    name = shown_path(out)
    if exporter.folder:
        if destination.exists() and not destination.is_dir():
            raise CliError(f"{name} is a file: {exporter.name} writes images into a folder")
    elif destination.exists() or destination.is_symlink():
        # Never replace a file: it could be the vault itself, or another export.
        raise CliError(f"{name} already exists: choose a new file name, or remove it first")
    parent = destination.parent
    if not parent.is_dir():
        raise CliError(f"the folder {shown_path(str(parent))} does not exist")
    return exporter.folder and destination.is_dir()


def write_new(
    exporter: Exporter,
    content: VaultContent,
    destination: Path,
    password: str | None,
    *,
    out: str,
    folder_was_there: bool,
) -> ExportReport:
    """The export written under its name, never over a file that is there.

    Between the check above and the write, the password is asked and the KDF runs: a file
    (or a QR image in the folder) can appear meanwhile. So the export is written in a
    private folder beside the destination, then each file gets its final name with a hard
    link, which fails when the name is taken; the private folder then goes, whatever happens.
    """
    parent = destination.parent
    try:
        staging = Path(tempfile.mkdtemp(prefix=".keyfob-export-", dir=parent))
    except OSError as error:
        raise CliError(f"cannot write into {shown_path(str(parent))}: {_reason(error)}") from None
    try:
        staged = staging / "export"
        report = exporter.write(content.accounts, staged, password, groups=content.groups)
        if exporter.folder:
            files = _publish_folder(staged, destination, out, was_there=folder_was_there)
        else:
            _publish(staged, destination, out)
            files = (destination,)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return replace(report, files=files)


def _publish_folder(
    staged: Path, destination: Path, out: str, *, was_there: bool
) -> tuple[Path, ...]:
    """Every file of `staged` linked into the folder `destination`: the one chosen, or a new
    one (never one that appeared meanwhile, which may be someone else's). If one name is
    taken, the files already linked and the folder made are removed."""
    names = sorted(path.name for path in staged.iterdir())
    made = not was_there
    if was_there:
        if not destination.is_dir():
            raise CliError(f"{shown_path(out)} is no longer a folder: nothing was exported")
        _refuse_earlier_export(destination, names, out)
    else:
        try:
            destination.mkdir(mode=0o700)
        except FileExistsError:
            raise CliError(
                f"{shown_path(out)} appeared meanwhile: it is left as it was, and nothing "
                "was exported"
            ) from None
        except OSError as error:
            raise CliError(f"cannot make the folder {shown_path(out)}: {_reason(error)}") from None
    published: list[Path] = []
    try:
        for name in names:
            _publish(staged / name, destination / name, str(destination / name))
            published.append(destination / name)
    except BaseException:
        for path in published:
            path.unlink(missing_ok=True)
        if made:
            with contextlib.suppress(OSError):
                destination.rmdir()
        raise
    return tuple(published)


def _refuse_earlier_export(folder: Path, names: Sequence[str], out: str) -> None:
    """Refuse a folder holding files named as this export's are, numbers aside
    ("qr-1-of-3.png" beside a new "qr-1-of-2.png"): two exports' images must not mix."""
    alike = re.compile("|".join(re.sub(r"\d+", r"\\d+", re.escape(n)) for n in names))
    try:
        there = os.listdir(folder)
    except OSError as error:
        raise CliError(f"cannot read the folder {shown_path(out)}: {_reason(error)}") from None
    if any(alike.fullmatch(name) for name in there):
        raise CliError(
            f"{shown_path(out)} already holds files of an earlier export: choose an empty "
            "folder, so two exports are not mixed; nothing was exported"
        )


def _publish(staged: Path, destination: Path, out: str) -> None:
    """`staged` also under the name `destination`, unless that name is taken."""
    try:
        _link_or_copy(staged, destination)
    except FileExistsError:
        raise CliError(
            f"{shown_path(out)} appeared while the export was being made: it is left as it "
            "was, and nothing was exported"
        ) from None
    except OSError as error:
        raise CliError(f"cannot write {shown_path(out)}: {_reason(error)}") from None


def _link_or_copy(staged: Path, destination: Path) -> None:
    try:
        os.link(staged, destination)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        _copy_exclusive(staged, destination)  # FAT (USB sticks) and some network disks


def _copy_exclusive(source: Path, destination: Path) -> None:
    """Copy to a new file (refusing an existing name), mode 0600; removed if the copy fails."""
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as target, source.open("rb") as origin:
            shutil.copyfileobj(origin, target)
            target.flush()
            os.fsync(target.fileno())
    except BaseException:
        destination.unlink(missing_ok=True)
        raise


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
