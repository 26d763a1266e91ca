"""The preferences file both faces read: typed values, defaults for anything odd, other
writers' keys kept, and a damaged file read as no preferences without being changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.vault.paths import CONFIG_ENV, default_config_dir
from app.vault.preferences import (
    DEFAULT_EXTRA_COPIES,
    EXTRA_COPIES,
    EXTRA_FOLDER,
    FILE_NAME,
    MAX_EXTRA_COPIES,
    MAX_TIME_OFFSET,
    TIME_OFFSET,
    Preferences,
    PreferencesError,
    parse_preferences,
)


def write(folder: Path, values: object, **top: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    document = {"format": "keyfob-preferences", "version": 1, "preferences": values, **top}
    path.write_text(json.dumps(document))
    return path


def test_a_value_set_is_read_back_by_another_reader(tmp_path: Path) -> None:
    Preferences(tmp_path).set_time_offset(-42.5)
    again = Preferences(tmp_path)
    assert again.exists
    assert again.time_offset == -42.5
    if os.name == "posix":
        assert (tmp_path / FILE_NAME).stat().st_mode & 0o077 == 0


def test_the_time_offset_is_clamped_and_odd_values_read_as_none(tmp_path: Path) -> None:
    preferences = Preferences(tmp_path)
    preferences.set_time_offset(1e12)
    assert Preferences(tmp_path).time_offset == MAX_TIME_OFFSET
    for odd in ("30", True, None, [1], 2 * MAX_TIME_OFFSET):
        write(tmp_path, {TIME_OFFSET: odd})
        assert Preferences(tmp_path).time_offset == 0.0, odd
    write(tmp_path, {TIME_OFFSET: 90})  # a whole number is a number of seconds too
    assert Preferences(tmp_path).time_offset == 90.0


def test_typed_reads_fall_back_to_the_default(tmp_path: Path) -> None:
    write(tmp_path, {"a/int": True, "a/bool": 1, "a/text": 3, "a/ok": 7})
    preferences = Preferences(tmp_path)
    assert preferences.value("a/int", 5, int) == 5
    assert preferences.value("a/bool", False, bool) is False
    assert preferences.value("a/text", "x", str) == "x"
    assert preferences.value("a/ok", 5, int) == 7
    assert preferences.value("missing", 2.5, float) == 2.5


def test_the_extra_backup_folder_and_its_copies_read_as_both_faces_use_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Preferences(tmp_path).extra_backup_folder is None  # no file: no copies
    assert Preferences(tmp_path).extra_backup_copies == DEFAULT_EXTRA_COPIES
    Preferences(tmp_path).update({EXTRA_FOLDER: "~/usb stick", EXTRA_COPIES: MAX_EXTRA_COPIES})
    again = Preferences(tmp_path)
    assert again.extra_backup_folder == tmp_path / "home" / "usb stick"
    assert again.extra_backup_copies == MAX_EXTRA_COPIES
    for off in ("", 3, None, True):  # "" is what Settings' "Turn off" stores
        write(tmp_path, {EXTRA_FOLDER: off})
        assert Preferences(tmp_path).extra_backup_folder is None, off
    for odd in (0, -1, MAX_EXTRA_COPIES + 1, 2.0, "5", True):
        write(tmp_path, {EXTRA_COPIES: odd})
        assert Preferences(tmp_path).extra_backup_copies == DEFAULT_EXTRA_COPIES, odd
    write(tmp_path, {EXTRA_COPIES: 1})
    assert Preferences(tmp_path).extra_backup_copies == 1


def test_keys_of_a_newer_keyfob_and_of_another_writer_are_kept(tmp_path: Path) -> None:
    write(tmp_path, {"future/thing": {"nested": [1, 2]}})
    mine = Preferences(tmp_path)
    theirs = Preferences(tmp_path)
    theirs.set_value("display/theme", "dark")
    mine.set_time_offset(12)  # read before theirs was written
    stored = parse_preferences((tmp_path / FILE_NAME).read_bytes())
    assert stored == {"future/thing": {"nested": [1, 2]}, "display/theme": "dark", TIME_OFFSET: 12}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "not a Keyfob preferences file"),
        (b'{"format": "other"}', "not a Keyfob preferences file"),
        (b'{"format": "keyfob-preferences", "preferences": [1]}', "not a JSON object"),
        (b'{"format": "keyfob-preferences", "preferences": {"x": NaN}}', "not valid JSON"),
        (b" " * (64 * 1024 + 1), "larger than 64 KiB"),
    ],
)
def test_a_damaged_file_says_why(raw: bytes, reason: str) -> None:
    with pytest.raises(PreferencesError, match=reason):
        parse_preferences(raw)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)))
def test_any_file_gives_preferences_or_a_damaged_file_left_as_it_is(
    tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(raw)
    try:
        values = parse_preferences(raw)
    except PreferencesError:
        values = None
    preferences = Preferences(tmp_path)
    if values is None:
        assert preferences.problem.startswith(f"{path} is damaged")
        assert preferences.time_offset == 0.0
        assert preferences.extra_backup_folder is None
    else:
        assert isinstance(values, dict)
        assert preferences.problem == ""
        assert isinstance(preferences.time_offset, float)
        assert preferences.extra_backup_folder is None or isinstance(
            preferences.extra_backup_folder, Path
        )
    assert 1 <= preferences.extra_backup_copies <= MAX_EXTRA_COPIES
    assert path.read_bytes() == raw  # reading never changes the file


def test_a_file_that_cannot_be_written_is_an_error_and_the_value_holds(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("a file where the folder should be")
    preferences = Preferences(blocker)
    with pytest.raises(PreferencesError, match="cannot save the preferences"):
        preferences.set_time_offset(30)
    assert preferences.time_offset == 30.0
    assert blocker.read_text() == "a file where the folder should be"


def test_the_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "elsewhere"))
    assert default_config_dir() == tmp_path / "elsewhere"
    assert Preferences.default().path == tmp_path / "elsewhere" / FILE_NAME
