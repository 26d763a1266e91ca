"""Names from QR codes and other apps' files never drive the terminal.

An issuer may hold escape sequences: OSC 52 (writes the clipboard), a window title, "clear the
screen", a C1 CSI, bidi overrides that make text read backwards. Every command that prints a
name shows them as "?"; --json keeps the exact text, with those characters as JSON escapes.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from app.qr.encode import encode_png
from tests.cli.conftest import Cli, assert_user_error

CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"  # OSC 52: put text on the clipboard
TITLE = "\x1b]0;pwned\x1b\\"
CLEAR = "\x1b[2J"
ISSUER = f"{CLIPBOARD}Evil{CLEAR}{TITLE}\x9b31m\u202eliame"
NAME = "bob\u2066\x07\x7f"
SECRET = "JBSWY3DPEHPK3PXP"
URI = f"otpauth://totp/{quote(ISSUER, safe='')}:{quote(NAME, safe='')}?secret={SECRET}"
# What a terminal must never receive: ESC, BEL, DEL, C1 controls, bidi controls.
FORBIDDEN = ["\x1b", "\x07", "\x7f", "\x9b", "\u202e", "\u2066"]


def _clean(text: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, (char, text)


def _added(cli: Cli) -> None:
    result = cli("add", "-", input=URI + "\n")
    assert result.returncode == 0, result.stderr
    _clean(result.stdout + result.stderr)
    assert "added: ?]52;c;Y3VybCBldmlsLnNoIHwgc2g=?Evil?[2J" in result.stdout


def test_list_and_code_show_no_control_characters(vault_cli: Cli) -> None:
    _added(vault_cli)
    listed = vault_cli("list")
    assert listed.returncode == 0, listed.stderr
    _clean(listed.stdout + listed.stderr)
    assert "Evil" in listed.stdout
    shown = vault_cli("code", "evil")
    assert shown.returncode == 0, shown.stderr
    _clean(shown.stdout + shown.stderr)
    assert "Evil" in shown.stdout


def test_json_keeps_the_exact_names_yet_is_safe_to_show(vault_cli: Cli) -> None:
    _added(vault_cli)
    for command in (["list", "--json"], ["code", "evil", "--json"]):
        result = vault_cli(*command)
        assert result.returncode == 0, result.stderr
        _clean(result.stdout)
        (entry,) = json.loads(result.stdout)
        assert (entry["issuer"], entry["name"]) == (ISSUER, NAME)


def test_remove_and_its_messages_show_no_control_characters(vault_cli: Cli) -> None:
    _added(vault_cli)
    vault_cli("add", "-", input=URI.replace(SECRET, "KRSXG5CTMVRXEZLU") + "\n")
    ambiguous = vault_cli("remove", "evil", "--yes")
    assert_user_error(ambiguous, "matches 2 accounts")
    _clean(ambiguous.stdout + ambiguous.stderr)
    unique = json.loads(vault_cli("list", "--json").stdout)[0]["id"]
    removed = vault_cli("remove", unique, "--yes")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith("removed: ?]52")
    _clean(removed.stdout + removed.stderr)


def test_arguments_quoted_in_messages_show_no_control_characters(vault_cli: Cli) -> None:
    for args in (
        ["code", CLEAR],
        ["restore", f"{TITLE}.json"],
        ["import", f"{CLIPBOARD}.json"],
        ["--password-file", CLIPBOARD, "list"],
        ["scan", f"{CLEAR}.png"],
    ):
        result = vault_cli(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        _clean(result.stdout + result.stderr)


def test_scan_shows_a_qr_codes_text_without_control_characters(cli: Cli, tmp_path: Path) -> None:
    text = f"{CLEAR}{CLIPBOARD}Scan me"
    image = tmp_path / "hostile.png"
    image.write_bytes(encode_png(text))
    shown = cli("scan", str(image))
    assert shown.returncode == 0, shown.stderr
    _clean(shown.stdout + shown.stderr)
    assert shown.stdout.endswith("Scan me\n")
    exact = cli("scan", str(image), "--json")
    _clean(exact.stdout)
    assert [item["text"] for item in json.loads(exact.stdout)] == [text]
