"""The CLI as a user runs it: the installed `keyfob` script in a subprocess, a real vault."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.vault.kdf import KdfParams
from app.vault.store import Vault

KEYFOB = str(Path(sys.executable).with_name("keyfob"))
PASSWORD = "correct horse battery staple"


@dataclass
class Cli:
    vault: Path
    password_file: Path
    env: dict[str, str]

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KEYFOB, *args],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=60,
            check=False,
            # No controlling terminal, as in CI and scripts: prompts must not hang.
            start_new_session=True,
            preexec_fn=preexec_fn,
        )

    def make_vault(self, password: str = PASSWORD) -> Vault:
        return Vault.create(self.vault, password, kdf=KdfParams.for_tests())


def write_password_file(path: Path, text: str) -> Path:
    """A password file as people should keep one: readable by its owner only (else the CLI
    warns that others can read it)."""
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    password_file = write_password_file(tmp_path / "password.txt", PASSWORD + "\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "KEYFOB_VAULT": str(tmp_path / "vault" / "vault.json"),
        "KEYFOB_PASSWORD_FILE": str(password_file),
        "LANG": "C.UTF-8",
    }
    return Cli(vault=tmp_path / "vault" / "vault.json", password_file=password_file, env=env)


@pytest.fixture
def vault_cli(cli: Cli) -> Cli:
    """A CLI whose vault exists (made with cheap KDF parameters so tests stay quick)."""
    cli.make_vault()
    return cli


def assert_user_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 1, one line on stderr naming the problem, and no traceback."""
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


Snapshot = Callable[[], bytes]
