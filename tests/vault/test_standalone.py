"""The standalone decryptor works on its own: a copy of it, run isolated from the project."""

from __future__ import annotations

import ast
import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.vault import Vault
from tests.conftest import ROOT
from tests.vault.conftest import PASSWORD, account, cheap

SCRIPT = ROOT / "app" / "vault" / "standalone_decrypt.py"


def _run(tmp_path: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / "elsewhere" / "standalone_decrypt.py"
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(SCRIPT, copy)
    return subprocess.run(
        [sys.executable, "-I", str(copy), *args],  # -I: no PYTHONPATH, no project on sys.path
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=copy.parent,
        timeout=60,
        check=False,
    )


def test_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(SCRIPT.read_text())
    modules = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0] for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }  # fmt: skip
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}


@pytest.fixture
def filled(vault_path: Path) -> Vault:
    vault = Vault.create(vault_path, PASSWORD, kdf=cheap())
    vault.add_accounts([account(issuer="GitHub", secret=b"hello world secret!!", groups=("Work",))])
    vault.modify(lambda c: c.push.append({"server": "https://push.example"}))
    return vault


def test_decrypts_a_vault_to_its_json(filled: Vault, tmp_path: Path) -> None:
    result = _run(tmp_path, str(filled.path), password=PASSWORD)
    assert result.returncode == 0, result.stderr
    content = json.loads(result.stdout)
    table = content["accounts"]
    row = dict(zip(table["fields"], table["rows"][0], strict=True))
    assert row["issuer"] == "GitHub"
    assert base64.b64decode(row["secret"]) == b"hello world secret!!"
    assert row["uuid"] == filled.content.accounts[0].uuid
    assert content["groups"] == ["Work"]
    assert content["push"] == [{"server": "https://push.example"}]


def test_objects_option_gives_one_object_per_account(filled: Vault, tmp_path: Path) -> None:
    result = _run(tmp_path, "--objects", str(filled.path), password=PASSWORD)
    assert result.returncode == 0, result.stderr
    (only,) = json.loads(result.stdout)["accounts"]
    assert only["issuer"] == "GitHub"
    assert only["groups"] == ["Work"]


def test_after_a_password_change(filled: Vault, tmp_path: Path) -> None:
    filled.change_password("second password", kdf=cheap())
    assert _run(tmp_path, str(filled.path), password="second password").returncode == 0


def test_wrong_password_and_tampering_fail_without_output(filled: Vault, tmp_path: Path) -> None:
    wrong = _run(tmp_path, str(filled.path), password="nope")
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    assert "wrong password" in wrong.stderr

    doc = json.loads(filled.path.read_bytes())
    doc["header"]["revision"] += 1
    filled.path.write_text(json.dumps(doc))
    tampered = _run(tmp_path, str(filled.path), password=PASSWORD)
    assert tampered.returncode == 1
    assert tampered.stdout == ""
    assert "authentication failed" in tampered.stderr
