"""Reading what is given to import, as both faces do (app.formats.sources): files within the
size limit, QR code images read together, the format recognised, and one error type."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import Account
from app.core.uri import build_otpauth
from app.formats.errors import ImportFormatError
from app.formats.sources import (
    QR_TEXT_NAME,
    READ_LIMIT,
    SourceError,
    SourceProblem,
    gather,
    importer_for,
    is_export_file,
)
from app.qr.decode import decode_image_bytes
from app.qr.encode import encode_png

GITHUB = build_otpauth(Account(secret=b"1234567890", issuer="GitHub", name="alice"))
SLACK = build_otpauth(Account(secret=b"abcdefghij", issuer="Slack", name="bob"))


def image(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(encode_png(text, scale=3))
    return path


def test_export_files_come_first_and_every_image_together_last(tmp_path: Path) -> None:
    listing = tmp_path / "uris.txt"
    listing.write_text(SLACK + "\n")
    first = image(tmp_path, "one.png", GITHUB)
    again = image(tmp_path, "again.png", GITHUB)  # the same code twice is read once
    second = image(tmp_path, "two.png", SLACK)
    sources = gather([first, listing, again, second], None, decode_image_bytes)
    assert [(s.name, s.filename, s.images) for s in sources] == [
        ("uris.txt", "uris.txt", 0),
        ("QR codes in 3 images", QR_TEXT_NAME, 3),
    ]
    assert sources[1].data.decode().splitlines() == [GITHUB, SLACK]
    assert importer_for(sources[1]).name == importer_for(sources[0]).name


def test_the_names_shown_are_the_callers(tmp_path: Path) -> None:
    path = image(tmp_path, "code.png", GITHUB)
    (source,) = gather([path], [str(path)], decode_image_bytes)
    assert source.name == str(path)


@pytest.mark.parametrize(
    ("make", "problem", "words"),
    [
        (lambda folder: folder / "nope.json", SourceProblem.NOT_FOUND, "no such file: nope.json"),
        (lambda folder: folder, SourceProblem.FOLDER, "is a folder"),
    ],
)
def test_a_path_that_is_no_file(
    tmp_path: Path, make: object, problem: SourceProblem, words: str
) -> None:
    assert callable(make)
    path = make(tmp_path)
    with pytest.raises(SourceError, match=words) as caught:
        gather([path], None, decode_image_bytes)
    assert caught.value.problem is problem


def test_an_image_without_a_qr_code_or_not_an_image_at_all(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(encode_png(GITHUB, scale=3)[:8] + b"\0" * 64)  # PNG magic, no picture
    with pytest.raises(SourceError, match=r"^blank\.png: ") as caught:
        gather([blank], None, decode_image_bytes)
    assert caught.value.problem is SourceProblem.BAD_IMAGE

    from PIL import Image

    empty = tmp_path / "empty.png"
    Image.new("L", (64, 64), 255).save(empty)
    with pytest.raises(SourceError, match=r"no QR code found in empty\.png") as caught:
        gather([empty], None, decode_image_bytes)
    assert caught.value.problem is SourceProblem.NO_QR_CODE


def test_a_file_no_importer_knows_and_a_format_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping: milk\n")
    (source,) = gather([notes], None, decode_image_bytes)
    with pytest.raises(SourceError, match=r"^notes\.txt: not a format Keyfob knows") as caught:
        importer_for(source)
    assert caught.value.problem is SourceProblem.UNKNOWN_FORMAT
    assert importer_for(source, "aegis").name == "aegis"  # the request decides, not the file
    with pytest.raises(ImportFormatError, match="unknown import format"):
        importer_for(source, "no-such-app")


def test_a_huge_file_is_read_only_up_to_the_limit_and_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(READ_LIMIT + 10 * 1024 * 1024)  # sparse: costs no disk
    (source,) = gather([huge], None, decode_image_bytes)
    assert len(source.data) == READ_LIMIT
    with pytest.raises(SourceError, match="too large"):
        importer_for(source)


def test_an_export_is_told_from_a_picture(tmp_path: Path) -> None:
    listing = tmp_path / "uris.txt"
    listing.write_text(GITHUB + "\n")
    assert is_export_file(listing)
    assert not is_export_file(image(tmp_path, "code.png", GITHUB))
    assert not is_export_file(tmp_path)
    assert not is_export_file(tmp_path / "missing.txt")


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_any_file_is_a_source_or_a_source_error_and_stays_as_it_was(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "given"
    path.write_bytes(data)
    problem: SourceProblem | None = None
    message = ""
    try:
        (source,) = gather([path], None, decode_image_bytes)
        if not source.images:
            assert source.data == data
        importer_for(source)
    except SourceError as error:
        problem, message = error.problem, str(error)
    assert problem in {
        None,
        SourceProblem.BAD_IMAGE,
        SourceProblem.NO_QR_CODE,
        SourceProblem.UNKNOWN_FORMAT,
    }
    assert not message or message.startswith(("given: ", "QR codes", "no QR code found"))
    assert path.read_bytes() == data
