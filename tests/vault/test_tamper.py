"""Tampering: every header field is authenticated, and the error says what it means.

VaultFormatError: the file is not a vault, is damaged, or was changed (content AAD or
ciphertext). VaultAuthError: no password slot opens, which is what a wrong password looks
like and, unavoidably, also a change to the very slot the password opens (FORMAT.md).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.vault import Vault, VaultAuthError, VaultFormatError, list_backups
from app.vault.envelope import VERSION
from tests.vault.conftest import PASSWORD, account

Doc = dict[str, Any]


def _flip_b64(text: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _slot(doc: Doc) -> Doc:
    slot: Doc = doc["header"]["slots"][0]
    return slot


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


FORMAT_ERRORS: dict[str, Callable[[Doc], None]] = {
    "format": _set(("format",), "aegis"),
    "version changed": _set(("version",), 1),  # authenticated: a downgrade is tampering
    "version as text": _set(("version",), "1"),
    "cipher": _set(("header", "cipher"), "AES-128-GCM"),
    "vault_id": _set(("header", "vault_id"), "00000000-0000-4000-8000-000000000000"),
    "revision": lambda d: d["header"].update(revision=d["header"]["revision"] + 1),
    "revision rolled back": _set(("header", "revision"), 0),
    "nonce": lambda d: d["header"].update(nonce=_flip_b64(d["header"]["nonce"])),
    "nonce too short": _set(("header", "nonce"), base64.b64encode(b"12345").decode()),
    "added header field": _set(("header", "note"), "hello"),
    "added top-level field": _set(("comment",), "hello"),
    "removed header field": lambda d: d["header"].pop("vault_id"),
    "added key slot": lambda d: d["header"]["slots"].append({"type": "keyring", "id": "k"}),
    "slot type": lambda d: _slot(d).update(type="fido2"),
    "too many password slots": lambda d: d["header"]["slots"].extend([_slot(d)] * 4),
    "kdf name": lambda d: _slot(d)["kdf"].update(name="scrypt"),
    "kdf memory absurd": lambda d: _slot(d)["kdf"].update(memory_kib=2**40),
    "kdf iterations absurd": lambda d: _slot(d)["kdf"].update(iterations=10**6),
    "kdf salt not base64": lambda d: _slot(d)["kdf"].update(salt="***"),
    "ciphertext": lambda d: d.update(data=_flip_b64(d["data"], 5)),
    "tag": lambda d: d.update(data=_flip_b64(d["data"], -1)),
    "ciphertext truncated": lambda d: d.update(data=d["data"][:8]),
    "ciphertext missing": lambda d: d.pop("data"),
}

AUTH_ERRORS: dict[str, Callable[[Doc], None]] = {
    "slot salt": lambda d: _slot(d)["kdf"].update(salt=_flip_b64(_slot(d)["kdf"]["salt"])),
    "slot memory": lambda d: _slot(d)["kdf"].update(memory_kib=_slot(d)["kdf"]["memory_kib"] * 2),
    "slot iterations": lambda d: _slot(d)["kdf"].update(iterations=2),
    "slot lanes": lambda d: _slot(d)["kdf"].update(lanes=2),
    "slot id": lambda d: _slot(d).update(id="someone-else"),
    "slot nonce": lambda d: _slot(d).update(nonce=_flip_b64(_slot(d)["nonce"])),
    "slot wrapped key": lambda d: _slot(d).update(wrapped_key=_flip_b64(_slot(d)["wrapped_key"])),
}


@pytest.fixture
def saved(vault: Vault) -> Path:
    vault.add_accounts([account(issuer="GitHub"), account(issuer="GitLab")])
    return vault.path


def _tamper(path: Path, change: Callable[[Doc], None]) -> bytes:
    doc = json.loads(path.read_bytes())
    change(doc)
    raw = json.dumps(doc, indent=2).encode()
    path.write_bytes(raw)
    return raw


@pytest.mark.parametrize("name", FORMAT_ERRORS)
def test_tampering_is_a_format_error(saved: Path, name: str) -> None:
    raw = _tamper(saved, FORMAT_ERRORS[name])
    with pytest.raises(VaultFormatError):
        Vault.open(saved, PASSWORD)
    assert saved.read_bytes() == raw


@pytest.mark.parametrize("name", AUTH_ERRORS)
def test_tampering_with_the_password_slot_reads_as_a_wrong_password(saved: Path, name: str) -> None:
    raw = _tamper(saved, AUTH_ERRORS[name])
    with pytest.raises(VaultAuthError):
        Vault.open(saved, PASSWORD)
    assert saved.read_bytes() == raw


def test_a_newer_format_version_asks_for_an_update(saved: Path) -> None:
    _tamper(saved, _set(("version",), VERSION + 1))
    with pytest.raises(VaultFormatError, match="newer Keyfob"):
        Vault.open(saved, PASSWORD)


def test_layout_does_not_matter_only_values(saved: Path) -> None:
    """Re-indenting or reordering keys keeps the vault valid: the AAD is canonical JSON."""
    doc = json.loads(saved.read_bytes())
    reordered = {k: doc[k] for k in reversed(list(doc))}
    reordered["header"] = {k: doc["header"][k] for k in reversed(list(doc["header"]))}
    saved.write_text(json.dumps(reordered, separators=(",", ":")))
    assert len(Vault.open(saved, PASSWORD).content.accounts) == 2


def test_splicing_an_old_ciphertext_under_the_current_header_is_detected(saved: Path) -> None:
    old = json.loads(list_backups(saved)[0].path.read_bytes())  # the previous save
    doc = json.loads(saved.read_bytes())
    doc["data"] = old["data"]
    doc["header"]["nonce"] = old["header"]["nonce"]
    saved.write_text(json.dumps(doc))
    with pytest.raises(VaultFormatError, match="damaged or was tampered"):
        Vault.open(saved, PASSWORD)


def test_every_save_uses_a_fresh_nonce(vault: Vault) -> None:
    nonces = set()
    data = set()
    for _ in range(5):
        vault.modify(lambda content: None)  # same plaintext every time
        doc = json.loads(vault.path.read_bytes())
        nonces.add(doc["header"]["nonce"])
        data.add(doc["data"])
    assert len(nonces) == 5
    assert len(data) == 5
    assert vault.revision == 6
