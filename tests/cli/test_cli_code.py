"""`keyfob code` shows what the desktop app shows: it applies the clock correction set in the
app's Settings, and taking a HOTP code updates the account as the app does."""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.core.account import Account, OtpType
from app.core.otp import code_at
from app.core.secret import decode_base32
from app.vault.paths import CONFIG_ENV
from app.vault.preferences import FILE_NAME, Preferences
from app.vault.store import Vault
from tests.cli.conftest import PASSWORD, Cli

SECRET = decode_base32("JBSWY3DPEHPK3PXP")
HOUR = 3600.0
LONG_AGO = 1_000_000_000


def corrected_codes(account: Account, start: float, end: float, offset: float) -> set[str]:
    """Every code the account shows between `start` and `end` on a clock `offset` ahead."""
    return {code_at(account, moment + offset).text for moment in (start, end)}


def test_code_applies_the_clock_correction_set_in_settings(vault_cli: Cli, tmp_path: Path) -> None:
    account = Account(secret=SECRET, issuer="GitHub", name="alice")
    Vault.open(vault_cli.vault, PASSWORD).add_accounts([account])
    config = tmp_path / "config"
    Preferences(config).set_time_offset(-HOUR)  # what Settings ▸ Time ▸ Correction writes
    env = {CONFIG_ENV: str(config)}

    start = time.time()
    result = vault_cli("code", "github", "--json", env=env)
    end = time.time()

    assert result.returncode == 0, result.stderr
    (shown,) = json.loads(result.stdout)
    assert shown["code"] in corrected_codes(account, start, end, -HOUR)
    assert shown["code"] not in corrected_codes(account, start, end, 0.0)
    # The 30 s window the code belongs to is an hour back, as on the corrected clock.
    assert start - HOUR < shown["valid_until"] <= end - HOUR + 30


def test_code_warns_about_a_damaged_preferences_file_and_goes_on(
    vault_cli: Cli, tmp_path: Path
) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts([Account(secret=SECRET, issuer="GitHub")])
    config = tmp_path / "config"
    config.mkdir()
    (config / FILE_NAME).write_bytes(b"{not json")
    start = time.time()
    result = vault_cli("code", "github", "--json", env={CONFIG_ENV: str(config)})
    assert result.returncode == 0, result.stderr
    assert "is damaged" in result.stderr
    assert "system clock" in result.stderr
    (shown,) = json.loads(result.stdout)
    assert shown["valid_until"] >= start
    assert (config / FILE_NAME).read_bytes() == b"{not json"


def test_a_hotp_code_taken_updates_the_account_as_the_app_does(vault_cli: Cli) -> None:
    hotp = Account(
        secret=SECRET, issuer="Bank", type=OtpType.HOTP, counter=4, updated=LONG_AGO, created=1
    )
    Vault.open(vault_cli.vault, PASSWORD).add_accounts([hotp])
    start = int(time.time())
    result = vault_cli("code", "bank", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["code"] == code_at(hotp, 0).text
    (stored,) = Vault.open(vault_cli.vault, PASSWORD).content.accounts
    assert stored.counter == 5
    assert stored.updated >= start  # the desktop's "Next code" sets it too
    assert stored.last_used is not None
    assert stored.last_used >= start
    assert stored.created == 1
