"""What an import reads before an importer sees it, for both faces: the files, read within a
size limit; QR code images turned into the text of their codes; the format recognised.

`keyfob import` and the desktop import wizard both call `gather` and `importer_for`, so a
file is read, refused or recognised the same way whichever face was asked. Every problem is
one `SourceError`, whose message names the file as the face showed it and never quotes its
content (it may hold secrets).

The QR codes of one Google Authenticator export span several images: all the images given
are read together, as one source, so the importer checks its batches as a whole ("QR 2 of 3
missing"). Decoding pictures is the QR layer's job, which this layer does not import: the face
hands `gather` its reader (`app.qr.decode.decode_image_bytes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import KeyfobError
from app.formats.errors import ImportFormatError

if TYPE_CHECKING:
    from app.formats.base import Importer

# The importers refuse files over 64 MiB (app.formats.base.MAX_FILE_BYTES); reading one byte
# more than that is enough for them to say so, without loading a huge file.
READ_LIMIT = 64 * 1024 * 1024 + 1

# What the importers are told the text of QR codes read from images is called.
QR_TEXT_NAME = "qr-codes.txt"

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)

QrReader = Callable[[bytes], list[str]]


class SourceProblem(Enum):
    NOT_FOUND = "not found"
    FOLDER = "folder"
    UNREADABLE = "unreadable"
    BAD_IMAGE = "bad image"  # not a picture the QR reader takes
    NO_QR_CODE = "no QR code"
    UNKNOWN_FORMAT = "unknown format"


class SourceError(ImportFormatError):
    """What was given cannot be imported: a file that cannot be read, a folder, an image
    without a QR code, or a format Keyfob does not know. `problem` says which."""

    def __init__(self, message: str, problem: SourceProblem) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class Source:
    """One thing to import: an export file, or the text of the QR codes in the images given."""

    name: str  # what people are shown: the file as given, or "QR codes in 3 images"
    data: bytes = field(repr=False)
    filename: str  # what the importers are told it is called (they sniff by it too)
    images: int = 0  # how many images its QR codes came from; 0 for a file


def is_image(data: bytes) -> bool:
    """Whether `data` starts like a picture (PNG, JPEG, GIF, BMP, TIFF, WebP)."""
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def read_file(path: Path, name: str) -> bytes:
    """The file's bytes (at most READ_LIMIT); SourceError naming it as `name` otherwise."""
    try:
        with path.open("rb") as file:
            return file.read(READ_LIMIT)
    except FileNotFoundError:
        raise SourceError(f"no such file: {name}", SourceProblem.NOT_FOUND) from None
    except IsADirectoryError:
        raise SourceError(
            f"{name} is a folder: choose the export file in it", SourceProblem.FOLDER
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SourceError(f"cannot read {name}: {reason}", SourceProblem.UNREADABLE) from None


def is_image_file(path: Path) -> bool:
    """Whether the file at `path` starts like a picture (False if it cannot be read)."""
    try:
        with path.open("rb") as file:
            return is_image(file.read(16))
    except OSError:
        return False


def qr_codes_text(images: Sequence[tuple[str, bytes]], read_qr: QrReader) -> bytes:
    """The text of every QR code in the images (`(name, bytes)`), one per line, each once.

    SourceError if an image cannot be read or holds no QR code: an export's QR code
    missing from a picture must not go unnoticed.
    """
    texts: list[str] = []
    for name, data in images:
        try:
            found = read_qr(data)
        except KeyfobError as error:
            raise SourceError(f"{name}: {error}", SourceProblem.BAD_IMAGE) from None
        if not found:
            raise SourceError(
                f"no QR code found in {name}: make sure the whole code is in the picture",
                SourceProblem.NO_QR_CODE,
            )
        texts += [text for text in found if text not in texts]
    return "\n".join(texts).encode("utf-8", "replace")


def gather(paths: Sequence[Path], names: Sequence[str] | None, read_qr: QrReader) -> list[Source]:
    """Every path read: each export file a source (in order), then all the images together
    as one. `names` are what people are shown for each path (default: the file names).
    Raises SourceError for the first problem, before any importer runs."""
    shown = list(names) if names is not None else [path.name for path in paths]
    sources: list[Source] = []
    images: list[tuple[str, bytes]] = []
    for path, name in zip(paths, shown, strict=True):
        data = read_file(path, name)
        if is_image(data):
            images.append((name, data))
        else:
            sources.append(Source(name, data, path.name))
    if images:
        name = images[0][0] if len(images) == 1 else f"QR codes in {len(images)} images"
        sources.append(Source(name, qr_codes_text(images, read_qr), QR_TEXT_NAME, len(images)))
    return sources


def importer_for(source: Source, format_name: str | None = None) -> Importer:
    """The importer `format_name` names, else the one that recognises the source.

    An unknown name is an ImportFormatError (a mistake in the request, not in the file);
    a source no importer recognises is a SourceError.
    """
    from app.formats import registry

    if format_name:
        return registry.by_name(format_name)
    try:
        return registry.detect(source.data, source.filename)
    except ImportFormatError as error:
        raise SourceError(f"{source.name}: {error}", SourceProblem.UNKNOWN_FORMAT) from None


def is_export_file(path: Path) -> bool:
    """Whether `path` is a file (not an image) that an importer recognises: for a drop that
    could be an export (to import) or a picture of one account's QR code (to add)."""
    if not path.is_file() or is_image_file(path):
        return False
    from app.formats import registry

    try:
        data = read_file(path, path.name)
    except SourceError:
        return False
    return bool(registry.claimants(data, path.name))
