"""End-to-end: `keyfob import` and `keyfob export` through the installed command, real files.

Sources are made here: Aegis files by our exporter, a 2FAS file and otpauth:// lists written
by the tests' own fixture builders, Google Authenticator QR images by `keyfob export`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli.main import run
from app.core.account import Account, OtpType
from app.core.migration import migration_problem
from app.formats import registry
from app.formats.exporters.aegis import AegisExporter
from app.formats.exporters.registry import exporter_names
from app.formats.labels import entry_hint
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.cli.conftest import KEYFOB, PASSWORD, Cli, assert_user_error, write_password_file
from tests.formats import samples
from tests.formats.test_roundtrip import all_fields, extras, sample_accounts

SOURCE_PASSWORD = "source password"
BAD_SECRET = "NOT0A1VALID8SECRET9"  # 0, 1, 8, 9 are not base32: the entry is unusable


@pytest.fixture
def source_password_file(tmp_path: Path) -> Path:
    path = tmp_path / "source-password.txt"
    write_password_file(path, SOURCE_PASSWORD + "\n")
    return path


def accounts_in(path: Path) -> list[Account]:
    return Vault.open(path, PASSWORD).content.accounts


def aegis_export(path: Path, accounts: list[Account], password: str | None) -> Path:
    AegisExporter(encrypted=password is not None, scrypt_n=1024).write(accounts, path, password)
    return path


def twofas_with_a_bad_entry(path: Path) -> Path:
    good = samples.twofas_service(samples.STEAM)
    bad = samples.twofas_service(samples.Sample("totp", "BadCo", "mallory", b"x"))
    bad["secret"] = BAD_SECRET
    path.write_bytes(samples.twofas([bad, good]))
    return path


# --- import ------------------------------------------------------------------------------------


def test_list_formats_needs_no_vault(cli: Cli) -> None:
    result = cli("import", "--list-formats")
    assert result.returncode == 0, result.stderr
    for name in [*registry.names(), *exporter_names()]:
        assert f"  {name} " in result.stdout
    listed = json.loads(cli("import", "--list-formats", "--json").stdout)
    assert [f["name"] for f in listed["import"]] == registry.names()
    assert [(f["name"], f["plaintext"]) for f in listed["export"]] == [
        ("keyfob", False),
        ("aegis", False),
        ("aegis-plain", True),
        ("otpauth", True),
        ("googleauth", True),
        ("html", True),
    ]
    # One name per format in both directions; the names scripts used before are aliases.
    assert "also: uris" in result.stdout
    assert "also: google-qr" in result.stdout
    assert {"uris", "google-qr"} <= {a for f in listed["export"] for a in f["aliases"]}
    assert {"uris", "google-qr"} <= {a for f in listed["import"] for a in f["aliases"]}
    assert not cli.vault.exists()


def test_import_reads_each_format_and_reports_per_file(
    vault_cli: Cli, tmp_path: Path, source_password_file: Path
) -> None:
    from_aegis = sample_accounts()[:4]
    aegis = aegis_export(tmp_path / "aegis-backup.json", from_aegis, SOURCE_PASSWORD)
    twofas = twofas_with_a_bad_entry(tmp_path / "backup.2fas")
    uris = tmp_path / "accounts.txt"  # one account new, one already in the Aegis file
    uris.write_bytes(samples.otpauth_list([samples.HOTP, samples.TOTP256]))

    result = vault_cli(
        "import", str(aegis), str(twofas), str(uris), "--source-password-file",
        str(source_password_file),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{aegis}: Aegis Authenticator (aegis)" in out
    assert f"{twofas}: 2FAS Authenticator (twofas)" in out
    assert f"{uris}: otpauth:// URI list (otpauth)" in out
    assert "added: ACME Co (alice@example.com)" in out
    assert "added: Valve (dave)" in out
    assert "added: Hotp Inc (carol)" in out
    assert "skipped, a duplicate (same secret, issuer and name): Example (bob)" in out
    assert "could not use 1 entry:" in out
    assert "unusable entry 1 (BadCo / mallory): secret is not valid base32" in out
    assert "Added 6 accounts, skipped 1 duplicate; 1 entry not usable." in out
    assert BAD_SECRET not in out + result.stderr

    stored = accounts_in(vault_cli.vault)
    expected = [*from_aegis, samples.STEAM.account(), samples.HOTP.account()]
    assert all_fields(stored) == all_fields(expected)
    assert extras(stored[:4]) == extras(from_aegis)  # groups, note, favourite, icon kept
    assert Vault.open(vault_cli.vault, PASSWORD).content.groups == ["Work"]


def test_importing_again_skips_everything_and_writes_nothing(
    vault_cli: Cli, tmp_path: Path
) -> None:
    plain = aegis_export(tmp_path / "aegis.json", sample_accounts()[:3], None)
    assert vault_cli("import", str(plain)).returncode == 0
    before = vault_cli.vault.read_bytes()
    again = vault_cli("import", str(plain))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("skipped, a duplicate") == 3
    assert "Added 0 accounts, skipped 3 duplicates" in again.stdout
    assert vault_cli.vault.read_bytes() == before


def test_wrong_source_password_adds_nothing(vault_cli: Cli, tmp_path: Path) -> None:
    aegis = aegis_export(tmp_path / "aegis.json", sample_accounts(), SOURCE_PASSWORD)
    wrong = tmp_path / "wrong.txt"
    write_password_file(wrong, "not the password\n")
    before = vault_cli.vault.read_bytes()
    result = vault_cli("import", str(aegis), "--source-password-file", str(wrong))
    assert_user_error(result, str(aegis), "wrong password", "nothing was imported")
    assert vault_cli.vault.read_bytes() == before


def test_encrypted_source_without_a_password_or_terminal(vault_cli: Cli, tmp_path: Path) -> None:
    aegis = aegis_export(tmp_path / "aegis.json", sample_accounts(), SOURCE_PASSWORD)
    before = vault_cli.vault.read_bytes()
    result = vault_cli("import", str(aegis))
    assert_user_error(result, "is encrypted", "--source-password-file", "nothing was imported")
    assert vault_cli.vault.read_bytes() == before


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut short"),
        pytest.param(lambda data: data.replace(b'"version": 1', b'"version": 9'), id="version"),
        pytest.param(lambda data: b"\x00garbage" + data, id="not a format"),
    ],
)
def test_a_damaged_second_file_makes_the_whole_run_add_nothing(
    vault_cli: Cli, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(samples.otpauth_list([samples.TOTP, samples.HOTP]))
    damaged = aegis_export(tmp_path / "damaged.json", sample_accounts(), None)
    damaged.write_bytes(damage(damaged.read_bytes()))
    before = vault_cli.vault.read_bytes()
    result = vault_cli("import", str(good), str(damaged))
    assert_user_error(result, str(damaged), "nothing was imported")
    assert vault_cli.vault.read_bytes() == before
    assert not (vault_cli.vault.parent / "backups").exists()


def test_a_missing_file_adds_nothing(vault_cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(samples.otpauth_list([samples.TOTP]))
    before = vault_cli.vault.read_bytes()
    result = vault_cli("import", str(good), str(tmp_path / "nope.json"))
    assert_user_error(result, "no such file", "nope.json", "nothing was imported")
    assert vault_cli.vault.read_bytes() == before


def test_dry_run_shows_and_writes_nothing(vault_cli: Cli, tmp_path: Path) -> None:
    twofas = twofas_with_a_bad_entry(tmp_path / "backup.2fas")
    before = vault_cli.vault.read_bytes()
    result = vault_cli("import", str(twofas), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would add: Valve (dave)" in result.stdout
    assert "Would add 1 account, skip 0 duplicates; 1 entry not usable." in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert vault_cli.vault.read_bytes() == before
    assert not (vault_cli.vault.parent / "backups").exists()


def test_json_summary(vault_cli: Cli, tmp_path: Path) -> None:
    twofas = twofas_with_a_bad_entry(tmp_path / "backup.2fas")
    result = vault_cli("import", str(twofas), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dry_run"] is False
    assert (summary["added"], summary["duplicates"], summary["not_usable"]) == (1, 0, 1)
    (file,) = summary["files"]
    assert (file["file"], file["format"]) == (str(twofas), "twofas")
    assert file["added"] == [{"issuer": "Valve", "name": "dave", "type": "steam"}]
    assert file["not_usable"] == [
        {
            "entry": 1,
            "label": "BadCo / mallory",
            "reason": "secret is not valid base32 (letters A-Z and digits 2-7)",
        }
    ]
    assert BAD_SECRET not in result.stdout
    assert samples.STEAM.b32 not in result.stdout


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (f"otpauth://totp/ACME:alice?secret={BAD_SECRET}&issuer=ACME", "ACME:alice"),
        (f"otpauth://motp/?secret={BAD_SECRET}", None),
        (
            json.dumps(
                {"type": "motp", "issuer": "Co", "name": "n", "info": {"secret": BAD_SECRET}}
            ),
            "Co / n",
        ),
        (
            json.dumps(
                {"name": "Svc", "secret": BAD_SECRET, "otp": {"account": "a", "issuer": "Svc"}}
            ),
            "Svc / a",
        ),
        (json.dumps({"secret": BAD_SECRET, "seed": BAD_SECRET}), None),
        (f"{BAD_SECRET},{BAD_SECRET}", None),
        ("", None),
        ("{not json", None),
    ],
)
def test_an_unusable_entry_is_named_without_its_secret(raw: str, hint: str | None) -> None:
    assert entry_hint(raw) == hint


def test_from_chooses_the_format(vault_cli: Cli, tmp_path: Path) -> None:
    uris = tmp_path / "export.txt"
    uris.write_bytes(samples.otpauth_list([samples.TOTP]))
    result = vault_cli("import", str(uris), "--from", "WinAuth")
    assert result.returncode == 0, result.stderr
    assert "added: alice@example.com (WinAuth)" in result.stdout  # WinAuth: name is issuer
    unknown = vault_cli("import", str(uris), "--from", "lastpass")
    assert_user_error(unknown, "unknown import format 'lastpass'")


def test_import_without_a_vault_says_so_before_asking_anything(cli: Cli, tmp_path: Path) -> None:
    aegis = aegis_export(tmp_path / "aegis.json", sample_accounts()[:1], SOURCE_PASSWORD)
    assert_user_error(cli("import", str(aegis)), "no vault", "keyfob init")


def test_import_without_files_says_what_to_give(vault_cli: Cli) -> None:
    assert_user_error(vault_cli("import"), "give the files to import")


# --- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["aegis-plain", "uris", "google-qr", "html"])
def test_plaintext_export_needs_consent(cli: Cli, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    # No vault at all: the refusal comes before any password is asked or the vault is read.
    result = cli("export", "--format", fmt, "--out", str(out))
    assert_user_error(result, "unencrypted", "--yes-plaintext")
    assert not out.exists()


def test_export_never_replaces_a_file(vault_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "existing.txt"
    out.write_text("keep me")
    result = vault_cli("export", "--format", "uris", "--out", str(out), "--yes-plaintext")
    assert_user_error(result, "already exists")
    assert out.read_text() == "keep me"


def test_encrypted_export_without_a_password_or_terminal(vault_cli: Cli, tmp_path: Path) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(sample_accounts()[:1])
    out = tmp_path / "export.json"
    result = vault_cli("export", "--format", "aegis", "--out", str(out))
    assert_user_error(result, "--export-password-file")
    assert not out.exists()


def test_export_of_an_empty_vault(vault_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "export.txt"
    result = vault_cli("export", "--format", "uris", "--out", str(out), "--yes-plaintext")
    assert_user_error(result, "no accounts to export")
    assert not out.exists()


ROUND_TRIP = ["keyfob", "aegis", "aegis-plain", "uris", "google-qr"]


@pytest.mark.parametrize("fmt", ROUND_TRIP)
def test_export_then_import_gives_the_same_accounts(
    vault_cli: Cli, tmp_path: Path, source_password_file: Path, fmt: str
) -> None:
    accounts = sample_accounts()
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(accounts)
    out = tmp_path / f"export-{fmt}"
    exported = vault_cli(
        "export", "--format", fmt, "--out", str(out), "--export-password-file",
        str(source_password_file), "--yes-plaintext",
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    files = sorted(out.iterdir()) if out.is_dir() else [out]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    other = tmp_path / "other" / "vault.json"
    Vault.create(other, PASSWORD, kdf=KdfParams.for_tests())
    sources = [str(f) for f in files if f.suffix != ".txt"]  # not google-qr's not-exported.txt
    imported = vault_cli(
        "--vault", str(other), "import", *sources, "--source-password-file",
        str(source_password_file),
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    back = accounts_in(other)

    if fmt == "google-qr":
        fitting = [a for a in accounts if migration_problem(a) is None]
        assert all_fields(back) == all_fields(fitting)
        assert "not exported: Steam (gina): Google Authenticator has no Steam codes" in (
            exported.stdout
        )
    else:
        assert all_fields(back) == all_fields(accounts)
    if fmt in ("keyfob", "aegis", "aegis-plain"):
        assert extras(back) == extras(accounts)
    if fmt == "keyfob":
        assert back == accounts  # uuids and times too
    plaintext = fmt in ("aegis-plain", "uris", "google-qr")
    assert ("not encrypted" in exported.stderr) is plaintext


def test_html_export_is_a_page_not_an_import_source(vault_cli: Cli, tmp_path: Path) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(sample_accounts())
    out = tmp_path / "paper.html"
    result = vault_cli("export", "--format", "html", "--out", str(out), "--yes-plaintext")
    assert result.returncode == 0, result.stderr
    assert f"Exported 10 accounts to {out}" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 10
    assert "Ampersand &amp; Co" in page
    before = vault_cli.vault.read_bytes()
    assert_user_error(vault_cli("import", str(out)), "not a format Keyfob knows")
    assert vault_cli.vault.read_bytes() == before


def test_a_missing_qr_image_is_reported_and_the_rest_imported(
    vault_cli: Cli, tmp_path: Path
) -> None:
    many = [
        Account(secret=bytes([i]) * 20, issuer=f"Service {i}", name=f"user{i}") for i in range(15)
    ]
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(many)
    folder = tmp_path / "to-phone"
    result = vault_cli("export", "--format", "google-qr", "--out", str(folder), "--yes-plaintext")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["qr-1-of-2.png", "qr-2-of-2.png"]

    other = tmp_path / "other.json"
    Vault.create(other, PASSWORD, kdf=KdfParams.for_tests())
    imported = vault_cli("--vault", str(other), "import", str(folder / "qr-1-of-2.png"))
    assert imported.returncode == 0, imported.stderr
    assert "Google Authenticator (googleauth)" in imported.stdout
    assert "QR 2 of 2 missing" in imported.stdout
    back = accounts_in(other)
    assert 0 < len(back) < len(many)
    assert all_fields(back) == all_fields(many[: len(back)])


def test_keyfob_export_asks_nothing_more_than_its_password(
    vault_cli: Cli, tmp_path: Path, source_password_file: Path
) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(sample_accounts()[:2])
    out = tmp_path / "copy.json"
    result = vault_cli(
        "export", "--format", "keyfob", "--out", str(out), "--export-password-file",
        str(source_password_file),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "not encrypted" not in result.stderr
    assert Vault.open(out, SOURCE_PASSWORD).content.accounts == accounts_in(vault_cli.vault)


# --- passwords asked on a terminal ----------------------------------------------------------


def with_terminal(cli: Cli, answers: list[str], *args: str) -> tuple[int, str]:
    """Run keyfob on a pseudo-terminal, typing each answer when a password is asked."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: keyfob, with the pty as its controlling terminal
        os.execve(KEYFOB, [KEYFOB, *args], cli.env)
    output = b""
    pending = list(answers)
    answered = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal (it exited)
                break
            if not chunk:
                break
            output += chunk
            # Answer each prompt once, after it is shown: getpass discards earlier typing.
            asked = output.count(b"Password")
            if pending and asked > answered and output.rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered += 1
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_an_encrypted_source_asks_for_its_password(vault_cli: Cli, tmp_path: Path) -> None:
    aegis = aegis_export(tmp_path / "aegis.json", sample_accounts()[:2], SOURCE_PASSWORD)
    code, output = with_terminal(vault_cli, [SOURCE_PASSWORD], "import", str(aegis))
    assert code == 0, output
    assert f"Password for {aegis}:" in output
    assert SOURCE_PASSWORD not in output  # not echoed
    assert all_fields(accounts_in(vault_cli.vault)) == all_fields(sample_accounts()[:2])


def test_an_export_password_is_asked_twice(vault_cli: Cli, tmp_path: Path) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(sample_accounts()[:2])
    differ = tmp_path / "differ.json"
    code, output = with_terminal(
        vault_cli, ["one", "two"], "export", "--format", "aegis", "--out", str(differ)
    )
    assert code == 1
    assert "the two passwords differ" in output
    assert not differ.exists()

    out = tmp_path / "export.json"
    code, output = with_terminal(
        vault_cli, ["new secret", "new secret"], "export", "--format", "aegis", "--out", str(out)
    )
    assert code == 0, output
    assert output.count("Password for the export") == 2
    _, result = registry.read_file(out.read_bytes(), out.name, "new secret")
    assert all_fields(result.accounts) == all_fields(accounts_in(vault_cli.vault))


# --- any bytes ---------------------------------------------------------------------------------

PREFIXES = [
    b"",
    b"{",
    b'{"version": 1, "header": {"slots": null, "params": null}, "db": ',
    b'{"format": "keyfob-vault", ',
    b"otpauth://totp/",
    b"otpauth-migration://offline?data=",
    b"\x89PNG\r\n\x1a\n",
    b"SQLite format 3\x00",
]


@pytest.fixture
def import_vault(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("import-any")
    path = folder / "vault.json"
    Vault.create(path, PASSWORD, kdf=KdfParams.for_tests())
    password_file = folder / "password"
    write_password_file(password_file, PASSWORD)
    source_password = folder / "source-password"
    write_password_file(source_password, SOURCE_PASSWORD)
    return path, password_file, source_password


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    prefix=st.sampled_from(PREFIXES),
    tail=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    second=st.none() | st.sampled_from(PREFIXES),
)
def test_any_bytes_give_a_result_or_one_line_and_change_nothing_else(
    import_vault: tuple[Path, Path, Path],
    prefix: bytes,
    tail: bytes,
    second: bytes | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, password_file, source_password = import_vault
    folder = path.parent
    files = [folder / "import-1.dat"]
    files[0].write_bytes(prefix + tail)
    if second is not None:
        files.append(folder / "import-2.dat")
        files[1].write_bytes(second + tail[::-1])
    before = path.read_bytes()
    with contextlib.chdir(folder):
        code = run(
            [
                "--vault", str(path), "--password-file", str(password_file), "import",
                *map(str, files), "--source-password-file", str(source_password),
            ]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in err
    if code == 1:
        assert len(err.strip().splitlines()) == 1
        assert "nothing was imported" in err or "no vault" in err
    if code == 1 or "Added 0 accounts" in out:
        assert path.read_bytes() == before
    else:
        assert "added:" in out
    for file in files:
        os.unlink(file)


def test_steam_accounts_travel_through_aegis(vault_cli: Cli, tmp_path: Path) -> None:
    steam = Account(secret=b"steam-secret-bytes!!", type=OtpType.STEAM, issuer="Steam", name="s")
    Vault.open(vault_cli.vault, PASSWORD).add_accounts([steam])
    out = tmp_path / "aegis.json"
    result = vault_cli("export", "--format", "aegis-plain", "--out", str(out), "--yes-plaintext")
    assert result.returncode == 0, result.stderr
    entry = json.loads(out.read_text())["db"]["entries"][0]
    assert (entry["type"], entry["info"]["digits"], entry["info"]["period"]) == ("steam", 5, 30)
