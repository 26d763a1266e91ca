"""Keyfob's own files as an import source: exports, backups and vaults, and what goes wrong."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import Account
from app.formats import registry
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.exporters.keyfob import keyfob_file
from app.formats.keyfob import KeyfobImporter
from app.formats.view import SourceView
from app.vault import list_backups
from app.vault.content import VaultContent, encode_content
from app.vault.envelope import MASTER_KEY_BYTES, VERSION, new_document, password_slot, seal
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.formats.test_roundtrip import PASSWORD, sample_accounts

IMPORTER = KeyfobImporter()


def _export(accounts: list[Account] | None = None) -> bytes:
    return keyfob_file(accounts or sample_accounts(), [], PASSWORD, KdfParams.for_tests())


def test_a_vault_and_its_backups_import_as_keyfob_files(tmp_path: Path) -> None:
    vault = Vault.create(tmp_path / "vault.json", PASSWORD, kdf=KdfParams.for_tests())
    vault.add_accounts(sample_accounts()[:3])
    vault.add_accounts(sample_accounts()[3:])
    importer, result = registry.read_file(vault.path.read_bytes(), "vault.json", PASSWORD)
    assert importer.name == "keyfob"
    assert result.accounts == vault.content.accounts
    newest = list_backups(vault.path)[0]  # the vault before the second add
    _, older = registry.read_file(newest.path.read_bytes(), newest.path.name, PASSWORD)
    assert older.accounts == vault.content.accounts[:3]


def test_password_needed_and_checked() -> None:
    data = _export()
    assert IMPORTER.sniff(SourceView(data, "export.json"))
    assert IMPORTER.needs_password(data)
    with pytest.raises(PasswordRequiredError, match="give its password"):
        IMPORTER.read(data, None)
    with pytest.raises(WrongPasswordError, match="wrong password"):
        IMPORTER.read(data, "not the password")


def test_tampered_content_is_damage_not_a_wrong_password() -> None:
    document = json.loads(_export())
    data = bytearray(base64.b64decode(document["data"]))
    data[5] ^= 1
    document["data"] = base64.b64encode(bytes(data)).decode()
    with pytest.raises(ImportFormatError, match="damaged") as error:
        IMPORTER.read(json.dumps(document).encode(), PASSWORD)
    assert not isinstance(error.value, WrongPasswordError)


def test_a_newer_format_says_to_update() -> None:
    document = json.loads(_export())
    document["version"] = VERSION + 1
    data = json.dumps(document).encode()
    assert IMPORTER.sniff(SourceView(data, "x.json"))
    with pytest.raises(ImportFormatError, match="newer Keyfob"):
        IMPORTER.read(data, PASSWORD)


def test_rows_this_keyfob_cannot_read_are_problems_and_the_rest_imports() -> None:
    accounts = sample_accounts()[:2]
    future_row = {
        "uuid": "future-1",
        "type": "motp",
        "issuer": "Future",
        "name": "row",
        "secret": base64.b64encode(b"future secret").decode(),
    }
    content = VaultContent(accounts=accounts, unreadable_accounts=[future_row])
    key = bytearray(b"k" * MASTER_KEY_BYTES)
    document = new_document(password_slot(key, PASSWORD, KdfParams.for_tests()))
    data = seal(document, key, encode_content(content))
    result = IMPORTER.read(data, PASSWORD)
    assert result.accounts == accounts
    (problem,) = result.problems
    assert "newer Keyfob" in problem.reason
    assert '"Future"' in problem.raw
    assert "future secret" not in repr(problem)


@pytest.mark.parametrize(
    "data",
    [b"", b"{}", b'{"format": "aegis"}', b"keyfob-vault", b'["keyfob-vault"]', b"\xff" * 40],
)
def test_only_keyfob_files_are_claimed(data: bytes) -> None:
    assert not IMPORTER.sniff(SourceView(data, "vault.json"))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    tail=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    password=st.none() | st.text(max_size=10),
)
def test_any_bytes_behind_the_marker_give_a_result_or_an_import_error(
    tail: bytes, password: str | None
) -> None:
    data = b'{"format": "keyfob-vault", "version": 1, ' + tail
    assert IMPORTER.sniff(SourceView(data, "f")) in (True, False)
    assert _outcome(data, password) is not None


def _outcome(data: bytes, password: str | None) -> ImportResult | ImportFormatError:
    """What reading gives: a result, or the documented error with words for the user."""
    try:
        return IMPORTER.read(data, password)
    except ImportFormatError as error:
        outcome = error
    assert str(outcome)
    return outcome


def _swap(document: dict[str, Any], path: list[str | int], value: object) -> None:
    """Set the value at `path` (as far as it exists) to `value`."""
    target: Any = document
    for step in path[:-1]:
        if _has(target, step):
            target = target[step]
    last = path[-1] if path else "format"
    if _has(target, last) or (isinstance(target, dict) and isinstance(last, str)):
        target[last] = value


def _has(container: object, step: str | int) -> bool:
    if isinstance(container, dict):
        return isinstance(step, str) and step in container
    return isinstance(container, list) and isinstance(step, int) and step < len(container)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.lists(st.sampled_from(["header", "slots", 0, "kdf", "nonce", "data", "revision"])),
    value=st.none() | st.integers() | st.text(max_size=20) | st.booleans() | st.lists(st.none()),
)
def test_any_field_of_a_real_export_swapped_gives_an_import_error(
    path: list[str | int], value: object
) -> None:
    document = json.loads(_EXPORT)
    _swap(document, path, value)
    outcome = _outcome(json.dumps(document).encode(), PASSWORD)
    if isinstance(outcome, ImportResult):  # only a change the format ignores can still read
        assert outcome.accounts == _ACCOUNTS


_ACCOUNTS = sample_accounts()[:2]
_EXPORT = keyfob_file(_ACCOUNTS, [], PASSWORD, KdfParams.for_tests())
