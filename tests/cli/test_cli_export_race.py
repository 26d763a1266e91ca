"""An export never replaces what appeared while it was being made.

`keyfob export` checks its destination, then waits for the password (and runs the KDF): a file
or folder can appear at that name meanwhile. The CLI is driven on a terminal of its own, and the
file is made while it waits at its password prompt.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import KEYFOB, PASSWORD, Cli
from tests.cli.terminal import Terminal
from tests.cli.test_cli_secret_arguments import URI, asking


def _export_meanwhile(cli: Cli, out: Path, fmt: str, meanwhile: object) -> Terminal:
    """Run the export, call `meanwhile()` at its password prompt, then answer it."""
    assert cli("add", "-", input=URI + "\n").returncode == 0
    terminal = Terminal(
        [KEYFOB, "export", "--format", fmt, "--out", str(out), "--yes-plaintext"], asking(cli)
    )
    try:
        terminal.expect("Password:")
        assert callable(meanwhile)
        meanwhile()
        terminal.type(PASSWORD + "\n")
        terminal.wait()
    finally:
        terminal.close()
    return terminal


def _leftovers(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if path.name.startswith(".")]


def test_a_file_made_while_the_export_waits_survives(vault_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "accounts.txt"
    terminal = _export_meanwhile(vault_cli, out, "uris", lambda: out.write_text("mine\n"))
    assert terminal.proc.returncode == 1, terminal.screen + terminal.stderr
    assert out.read_text() == "mine\n"
    lines = terminal.stderr.strip().splitlines()
    assert len(lines) == 1, terminal.stderr
    assert "appeared while the export was being made" in lines[0]
    assert "left as it was" in lines[0]
    assert "Traceback" not in terminal.stderr
    assert _leftovers(tmp_path) == []  # no temporary copy of the secrets stays behind


def test_a_folder_made_while_the_export_waits_is_not_written_into(
    vault_cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "to-phone"

    def someone_makes_the_folder() -> None:
        out.mkdir()
        (out / "notes.txt").write_text("not yours\n")

    terminal = _export_meanwhile(vault_cli, out, "google-qr", someone_makes_the_folder)
    assert terminal.proc.returncode == 1, terminal.screen + terminal.stderr
    assert sorted(path.name for path in out.iterdir()) == ["notes.txt"]
    assert "appeared meanwhile" in terminal.stderr
    assert len(terminal.stderr.strip().splitlines()) == 1, terminal.stderr
    assert _leftovers(tmp_path) == []


def test_a_qr_image_made_meanwhile_in_the_chosen_folder_survives(
    vault_cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "to-phone"
    out.mkdir()
    image = out / "qr-1-of-1.png"
    terminal = _export_meanwhile(vault_cli, out, "google-qr", lambda: image.write_bytes(b"mine"))
    assert terminal.proc.returncode == 1, terminal.screen + terminal.stderr
    assert image.read_bytes() == b"mine"
    assert sorted(path.name for path in out.iterdir()) == ["qr-1-of-1.png"]
    assert len(terminal.stderr.strip().splitlines()) == 1, terminal.stderr
    assert _leftovers(tmp_path) == []


def test_an_export_with_nothing_in_the_way_lands_whole(vault_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "accounts.txt"
    terminal = _export_meanwhile(vault_cli, out, "uris", lambda: None)
    assert terminal.proc.returncode == 0, terminal.screen + terminal.stderr
    assert out.read_text().startswith("otpauth://totp/")
    assert out.stat().st_mode & 0o077 == 0
    assert _leftovers(tmp_path) == []
