"""Whatever a user types, the CLI answers with an exit code and a message, never a traceback,
and a refused command leaves the vault file byte-for-byte as it was."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli.main import run
from app.vault.kdf import KdfParams
from app.vault.store import Vault

PASSWORD = "bad input password"

uri_like = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda kind, label, query: f"otpauth://{kind}/{label}?{query}",
        st.sampled_from(["totp", "hotp", "steam", "TOTP", "x", ""]),
        st.text(max_size=20),
        st.text(max_size=60),
    ),
    st.builds(lambda data: f"otpauth-migration://offline?data={data}", st.text(max_size=60)),
)


@pytest.fixture
def vault_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A vault of its own for each test (hypothesis then reuses it across examples)."""
    folder = tmp_path_factory.mktemp("bad-input")
    path = folder / "vault.json"
    Vault.create(path, PASSWORD, kdf=KdfParams.for_tests())
    password_file = folder / "password"
    password_file.write_text(PASSWORD)
    (folder / "scratch").mkdir()
    return path, password_file


QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
COMMANDS = ["init", "add", "list", "code", "remove", "passwd", "backups", "restore", "scan"]


@settings(max_examples=150, deadline=None, suppress_health_check=QUIET)
@given(uris=st.lists(uri_like, min_size=1, max_size=3))
def test_add_any_text(
    vault_path: tuple[Path, Path], uris: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, password_file = vault_path
    before = path.read_bytes()
    code = run(["--vault", str(path), "--password-file", str(password_file), "add", *uris])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    if code == 2:  # a text starting with "-" reads as an option: a usage error
        assert any(uri.startswith("-") and uri != "-" for uri in uris)
        assert "usage:" in err
        assert path.read_bytes() == before
    elif code == 1:
        assert len(err.strip().splitlines()) == 1
        assert path.read_bytes() == before
    else:
        assert "added:" in out or "skipped" in out


@settings(max_examples=150, deadline=None, suppress_health_check=QUIET)
@given(
    command=st.one_of(st.sampled_from(COMMANDS), st.text(max_size=8)),
    rest=st.lists(st.text(max_size=12), max_size=3),
)
def test_any_arguments(
    vault_path: tuple[Path, Path],
    command: str,
    rest: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, password_file = vault_path
    before = path.read_bytes()
    # The vault exists and has no account, so no command but `add` can change it; relative
    # paths land in a scratch folder.
    with contextlib.chdir(path.parent / "scratch"):
        code = run(["--vault", str(path), "--password-file", str(password_file), command, *rest])
    _, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    if code != 0:
        assert err.strip()
    if command != "add":
        assert path.read_bytes() == before
