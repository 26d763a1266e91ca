"""End-to-end: add, list, code and remove through the installed `keyfob` command."""

from __future__ import annotations

import json

from app.core.account import Account, OtpType
from app.core.migration import build_migration
from tests.cli.conftest import Cli, assert_user_error

GITHUB = "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
# The RFC 4226 / 6238 secret "12345678901234567890" in base32.
RFC = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
HOTP = f"otpauth://hotp/Example:bob?secret={RFC}&counter=0&issuer=Example"
TOTP8 = f"otpauth://totp/RFC:carol?secret={RFC}&digits=8&issuer=RFC"


def test_add_then_list_shows_the_accounts_without_secrets(vault_cli: Cli) -> None:
    added = vault_cli("add", GITHUB, HOTP)
    assert added.returncode == 0, added.stderr
    assert "added: GitHub (alice@example.com)" in added.stdout
    assert "added: Example (bob)" in added.stdout

    listed = vault_cli("list")
    assert listed.returncode == 0
    assert "GitHub" in listed.stdout
    assert "alice@example.com" in listed.stdout
    assert "JBSWY3DPEHPK3PXP" not in listed.stdout

    entries = json.loads(vault_cli("list", "--json").stdout)
    assert [set(e) for e in entries] == [
        {"id", "issuer", "name", "type", "algorithm", "digits", "period", "counter", "groups"}
    ] * 2
    github, example = entries
    assert github["issuer"] == "GitHub"
    assert github["type"] == "totp"
    assert github["period"] == 30
    assert github["counter"] is None
    assert github["groups"] == []
    assert example["type"] == "hotp"
    assert example["period"] is None
    assert example["counter"] == 0
    assert "JBSWY3DPEHPK3PXP" not in json.dumps(entries)


def test_add_from_stdin_skips_blank_and_comment_lines(vault_cli: Cli) -> None:
    result = vault_cli("add", "-", input=f"# my accounts\n\n{GITHUB}\n  {TOTP8}  \n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("added:") == 2


def test_duplicate_is_skipped_with_a_note(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB)
    again = vault_cli("add", GITHUB, TOTP8)
    assert again.returncode == 0
    assert "skipped, already in the vault: GitHub (alice@example.com)" in again.stdout
    assert "added: RFC (carol)" in again.stdout
    assert len(json.loads(vault_cli("list", "--json").stdout)) == 2


def test_bad_uri_adds_nothing_and_leaves_the_file_unchanged(vault_cli: Cli) -> None:
    before = vault_cli.vault.read_bytes()
    bad = "otpauth://totp/Site:me?secret=NOT*BASE32SECRET&issuer=Site"
    result = vault_cli("add", GITHUB, bad)
    assert_user_error(result, "URI 2", "base32", "nothing was added")
    assert "NOT*BASE32SECRET" not in result.stderr
    assert vault_cli.vault.read_bytes() == before

    for wrong, words in [
        ("https://example.com", ("URI 1",)),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=3", ("digits",)),
        ("otpauth://totp/x", ("secret",)),
    ]:
        assert_user_error(vault_cli("add", wrong), *words)
    assert vault_cli.vault.read_bytes() == before


def test_code_matches_case_insensitively_and_prints_json(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB, TOTP8)
    result = vault_cli("code", "rfc", "--json", "--at", "59")
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)
    assert set(entry) == {"id", "issuer", "name", "type", "code", "valid_until"}
    assert entry["code"] == "94287082"  # RFC 6238, T = 59
    assert entry["valid_until"] == 60
    assert entry["issuer"] == "RFC"

    plain = vault_cli("code", "CAROL", "--at", "1111111109")
    assert plain.returncode == 0
    assert "07081804" in plain.stdout  # RFC 6238, T = 1111111109
    assert "1s left" in plain.stdout


def test_code_without_query_shows_every_account(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB, TOTP8)
    assert len(json.loads(vault_cli("code", "--json").stdout)) == 2


def test_showing_an_hotp_code_advances_its_counter(vault_cli: Cli) -> None:
    vault_cli("add", HOTP)
    shown = [json.loads(vault_cli("code", "bob", "--json").stdout)[0] for _ in range(3)]
    assert [s["code"] for s in shown] == ["755224", "287082", "359152"]  # RFC 4226
    assert all(s["valid_until"] is None for s in shown)
    (listed,) = json.loads(vault_cli("list", "--json").stdout)
    assert listed["counter"] == 3


def test_code_with_no_match_is_an_error(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB)
    assert_user_error(vault_cli("code", "gitlab"), "no account matches 'gitlab'")


def test_remove_exactly_one_match(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB, TOTP8, HOTP)
    ambiguous = vault_cli("remove", "e", "--yes")  # GitHub's name and Example both hold an "e"
    assert_user_error(ambiguous, "matches", "accounts")
    unasked = vault_cli("remove", "github")
    assert_user_error(unasked, "--yes")
    assert len(json.loads(vault_cli("list", "--json").stdout)) == 3

    removed = vault_cli("remove", "github", "--yes")
    assert removed.returncode == 0
    assert "removed: GitHub (alice@example.com)" in removed.stdout
    names = [e["issuer"] for e in json.loads(vault_cli("list", "--json").stdout)]
    assert names == ["RFC", "Example"]


def test_remove_by_full_id(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB, TOTP8)
    target = json.loads(vault_cli("list", "--json").stdout)[1]["id"]
    assert vault_cli("remove", target, "--yes").returncode == 0
    remaining = [e["id"] for e in json.loads(vault_cli("list", "--json").stdout)]
    assert len(remaining) == 1
    assert target not in remaining


def test_google_authenticator_export_adds_every_account_and_counts_batches(
    vault_cli: Cli,
) -> None:
    accounts = [
        Account(secret=bytes([i]) * 10, issuer=f"Site {i}", name=f"user{i}") for i in range(25)
    ]
    accounts.append(Account(secret=b"h" * 20, type=OtpType.HOTP, issuer="Bank", counter=7))
    uris = build_migration(accounts, batch_id=-123, per_batch=10)
    assert len(uris) == 3
    first = vault_cli("add", uris[0], uris[2])
    assert first.returncode == 0, first.stderr
    assert "read QR 1, 3 of 3" in first.stderr
    assert "QR 2 of 3 not given yet" in first.stderr
    second = vault_cli("add", "-", input="\n".join(uris))
    assert second.stdout.count("added:") == 10
    assert second.stdout.count("skipped") == 16
    entries = json.loads(vault_cli("list", "--json").stdout)
    assert len(entries) == 26
    bank = next(e for e in entries if e["issuer"] == "Bank")
    assert bank["counter"] == 7
