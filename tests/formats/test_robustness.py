"""Any bytes, any password: every importer gives an ImportResult or an ImportFormatError.

Three kinds of input: arbitrary bytes (behind each format's magic, to get past the first
check), valid files with bytes flipped, inserted, cut or removed, and valid JSON files with
one value swapped for arbitrary JSON. Fixtures use cheap KDF parameters; the bytes holding a
KDF cost are left alone (the bounds on them are tested in test_safety.py).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.formats import _javaser, registry
from app.formats._prefs import parse_prefs
from app.formats.base import Importer, ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView
from tests.formats import samples as s
from tests.formats.fixtures_table import Fixture, fixtures

IMPORTERS = registry.importers()
FIXTURES = fixtures()
SLOW = {"stratum encrypted"}  # Argon2id with the format's fixed 64 MiB
PREFIXES = [
    b"",
    b"{",
    b"[",
    b"<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>",
    b"\xac\xed\x00\x05sr\x00\x11java.util.HashMap",
    b"AUTHENTICATORPRO",
    b"AuthenticatorPro",
    b"SQLite format 3\x00",
    b"PK\x03\x04",
    b"otpauth://totp/",
    b"otpauth-migration://offline?data=",
]
passwords = st.one_of(st.none(), st.text(max_size=12))


def cheap(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _check(importer: Importer, data: bytes, password: str | None) -> None:
    assert isinstance(importer.sniff(SourceView(data, "file")), bool)
    assert isinstance(importer.needs_password(data), bool)
    outcome: ImportResult | ImportFormatError
    try:
        outcome = importer.read(data, password)
    except ImportFormatError as error:  # the documented error ...
        outcome = error
    if isinstance(outcome, ImportFormatError):
        assert str(outcome)  # ... with words for the user
    else:
        assert isinstance(outcome, ImportResult)
        assert all(problem.reason for problem in outcome.problems)


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.name)
@cheap(60)
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=600), password=passwords)
def test_arbitrary_bytes(
    importer: Importer, prefix: bytes, body: bytes, password: str | None
) -> None:
    _check(importer, prefix + body, password)


@cheap(60)
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=600))
def test_detection_of_arbitrary_bytes(prefix: bytes, body: bytes) -> None:
    try:
        importer, result = registry.read_file(prefix + body, "file", None)
    except ImportFormatError:
        return
    assert isinstance(result, ImportResult)
    assert importer in IMPORTERS


@st.composite
def mutated(draw: st.DrawFn, fixture: Fixture) -> bytes:
    data = bytearray(fixture.data)
    for _ in range(draw(st.integers(1, 3))):
        low = min(fixture.protected, len(data))
        position = draw(st.integers(low, max(low, len(data))))
        action = draw(st.sampled_from(["flip", "insert", "cut", "remove"]))
        if action == "flip" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = bytes([draw(st.integers(0, 255))])
        elif action == "cut":
            del data[position:]
        elif action == "remove":
            del data[position : position + draw(st.integers(1, 64))]
    return bytes(data)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.label)
@cheap(40)
@given(data=st.data())
def test_damaged_files(fixture: Fixture, data: st.DataObject) -> None:
    if fixture.label in SLOW and data.draw(st.integers(0, 9)) > 0:
        return  # nine in ten examples skipped: each costs a 64 MiB Argon2id run
    damaged = data.draw(mutated(fixture))
    _check(registry.by_name(fixture.importer), damaged, fixture.password)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _replace(value: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _replace(v, rest, new) if k == head else v for k, v in value.items()}
    assert isinstance(value, list)
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]


JSON_FIXTURES = [f for f in FIXTURES if f.data[:1] in (b"{", b"[")]


@pytest.mark.parametrize("fixture", JSON_FIXTURES, ids=lambda f: f.label)
@cheap(60)
@given(data=st.data())
def test_json_files_with_a_value_swapped(fixture: Fixture, data: st.DataObject) -> None:
    document = json.loads(fixture.data)
    path = data.draw(st.sampled_from(_paths(document)))
    swapped = _replace(document, path, data.draw(json_values))
    _check(registry.by_name(fixture.importer), json.dumps(swapped).encode(), fixture.password)


def _swap_inside(entries: dict[str, str], data: st.DataObject) -> dict[str, str]:
    """One JSON value, somewhere in one of the JSON strings the container holds, swapped."""
    name = data.draw(st.sampled_from(sorted(entries)))
    try:
        document = json.loads(entries[name])
    except ValueError:
        return entries
    path = data.draw(st.sampled_from(_paths(document)))
    return {**entries, name: json.dumps(_replace(document, path, data.draw(json_values)))}


PREFS_FIXTURES = [f for f in FIXTURES if f.data.startswith(b"<?xml")]


@pytest.mark.parametrize("fixture", PREFS_FIXTURES, ids=lambda f: f.label)
@cheap(60)
@given(data=st.data())
def test_preferences_with_a_json_value_swapped(fixture: Fixture, data: st.DataObject) -> None:
    prefs = parse_prefs(fixture.data)
    assert prefs
    swapped = s.shared_prefs(_swap_inside(prefs, data))
    _check(registry.by_name(fixture.importer), swapped, fixture.password)


@cheap(60)
@given(data=st.data())
def test_freeotp_v2_with_a_json_value_swapped(data: st.DataObject) -> None:
    fixture = next(f for f in FIXTURES if f.label == "freeotp v2")
    swapped = s.java_hashmap(_swap_inside(_javaser.parse_string_map(fixture.data), data))
    _check(registry.by_name("freeotp"), swapped, fixture.password)


@cheap(200)
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=600))
def test_the_shared_view_never_raises_and_parses_each_way_once(prefix: bytes, body: bytes) -> None:
    source = SourceView(prefix + body, "file")
    first = (source.text, source.json, source.lines, source.prefs, source.sqlite_schema)
    assert first[0] is None or isinstance(first[0], str)
    assert isinstance(first[2], list)
    # A second look gives the very same objects: nothing is parsed again.
    again = (source.text, source.json, source.lines, source.prefs, source.sqlite_schema)
    assert all(a is b for a, b in zip(first, again, strict=True))
