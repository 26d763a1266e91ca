"""The vault survives processes killed mid-save and processes writing at the same time."""

from __future__ import annotations

import random
import signal
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from app.core.account import Account
from app.vault.store import Vault
from tests.cli.conftest import KEYFOB, PASSWORD, Cli


def _uri(issuer: str, index: int) -> str:
    secret = f"{index:032b}".replace("0", "A").replace("1", "B")  # distinct, valid base32
    return f"otpauth://totp/{issuer}:user?secret={secret}&issuer={issuer}"


def test_sigkill_at_random_moments_never_loses_an_acknowledged_account(vault_cli: Cli) -> None:
    # A big vault makes each save long enough for kills to land inside it.
    filler = [Account(secret=i.to_bytes(4, "big") * 4, issuer=f"Filler {i}") for i in range(3000)]
    Vault.open(vault_cli.vault, PASSWORD).add_accounts(filler)

    # The URI goes through stdin, as the README says (an argument would make `add` re-run
    # itself to take the secret off its command line, and these timings would double).
    def add(issuer: str, index: int) -> subprocess.Popen[str]:
        uri_file = vault_cli.vault.parent / "uri.txt"
        uri_file.write_text(_uri(issuer, index) + "\n")
        with uri_file.open() as stdin:
            return subprocess.Popen(
                [KEYFOB, "add", "-"],
                env=vault_cli.env,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )

    # How long a whole run takes, kept up to date from the runs that finish: under a load
    # that changes while the test runs (other tests in parallel), a figure measured once at
    # the start would make every kill land too early or too late.
    lifetimes = []
    for warm_up in range(3):
        started = time.monotonic()
        process = add(f"Timing{warm_up}", warm_up)
        assert process.wait(timeout=60) == 0
        lifetimes.append(time.monotonic() - started)

    rng = random.Random(20261128)
    acknowledged = {f"Timing{n}" for n in range(3)}
    killed = completed = 0
    for round_number in range(1, 61):
        lifetime = statistics.median(lifetimes[-5:])
        issuer = f"Crash{round_number}"
        started = time.monotonic()
        process = add(issuer, round_number)
        try:
            # Kills spread over the second half of a run, where the save happens; about half
            # of the runs finish first.
            process.wait(timeout=rng.uniform(0.5, 1.5) * lifetime)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        stdout, _ = process.communicate(timeout=60)
        if process.returncode == 0 and f"added: {issuer}" in stdout:
            lifetimes.append(time.monotonic() - started)
            acknowledged.add(issuer)
            completed += 1
        else:
            assert process.returncode == -signal.SIGKILL
            killed += 1
            # A kill says only that a run takes longer than the wait; lengthen the estimate a
            # little so a run of kills (the machine got slower) pulls it back up.
            lifetimes.append(lifetime * 1.1)
        # Whatever the moment of the kill, the vault opens and holds every acknowledged add.
        present = {a.issuer for a in Vault.open(vault_cli.vault, PASSWORD).content.accounts}
        assert acknowledged <= present
        assert len([i for i in present if i.startswith("Filler")]) == 3000
    assert killed >= 10
    assert completed >= 10
    # And the CLI still works on it afterwards.
    assert vault_cli("add", _uri("After", 999)).returncode == 0


def test_concurrent_processes_lose_no_account(vault_cli: Cli) -> None:
    workers, adds_each = 4, 5

    def worker(number: int) -> list[int]:
        codes = []
        for step in range(adds_each):
            issuer = f"W{number}S{step}"
            result = vault_cli("add", _uri(issuer, number * 100 + step))
            codes.append(result.returncode)
        return codes

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(worker, range(workers)))
    assert all(code == 0 for codes in results for code in codes)
    present = {a.issuer for a in Vault.open(vault_cli.vault, PASSWORD).content.accounts}
    expected = {f"W{n}S{s}" for n in range(workers) for s in range(adds_each)}
    assert expected <= present
    assert len(present) == workers * adds_each
