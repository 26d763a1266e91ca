"""Benchmark of the foundation: KDF, vault save/load, code generation, `keyfob code`.

Run: .venv/bin/python tests/bench/core.py    (not part of the test run; prints a table)
Figures are medians of several runs on this machine; targets come from the issue.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.core.account import Account, Algorithm, OtpType  # noqa: E402
from app.core.otp import code_at  # noqa: E402
from app.vault.content import VaultContent, decode_content  # noqa: E402
from app.vault.envelope import decrypt, parse, unwrap_with_password  # noqa: E402
from app.vault.kdf import KdfParams  # noqa: E402
from app.vault.quick_unlock import enable  # noqa: E402
from app.vault.store import Vault  # noqa: E402
from tests.secret_service import running_secret_service, skip_reason  # noqa: E402

PASSWORD = "benchmark password"


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def sample_accounts(count: int) -> list[Account]:
    algorithms = list(Algorithm)
    accounts = []
    for i in range(count):
        kind = OtpType.HOTP if i % 10 == 9 else OtpType.STEAM if i % 50 == 7 else OtpType.TOTP
        accounts.append(
            Account(
                secret=os.urandom(20),
                type=kind,
                issuer=f"Issuer {i % 700}",
                name=f"user{i}@example.com",
                algorithm=algorithms[i % 3],
                digits=6 + (i % 3),
                counter=i,
                groups=("Work",) if i % 4 == 0 else (),
                note="" if i % 5 else "recovery codes in the safe",
            )
        )
    return accounts


def bench_vault(folder: Path, count: int) -> tuple[float, float]:
    path = folder / f"vault-{count}.json"
    vault = Vault.create(path, PASSWORD, kdf=KdfParams.for_tests())
    vault.add_accounts(sample_accounts(count))
    first = vault.content.accounts[0]

    def save() -> None:
        def touch(content: VaultContent) -> None:
            content.accounts[0] = replace(first, note=str(time.perf_counter()))

        vault.modify(touch)

    key = unwrap_with_password(parse(path.read_bytes()), PASSWORD)

    def load() -> None:
        raw = path.read_bytes()
        plaintext = decrypt(parse(raw), key)
        assert plaintext is not None
        content = decode_content(plaintext)
        assert len(content.accounts) == count

    return median_ms(save, 7), median_ms(load, 7)


def bench_quick_unlock(folder: Path, keyfob: str) -> tuple[str, str, str]:
    """`keyfob code` opening a 1,000-account vault with the key in a real GNOME Keyring (on a
    private bus, tests/secret_service.py), no password anywhere: the whole process."""
    name = "`keyfob code github` process, quick unlock, 1,000 accounts"
    reason = skip_reason()
    if reason is not None:
        return (name, "skipped", f"<= 250 ms ({reason})")
    path = folder / "quick.json"
    vault = Vault.create(path, PASSWORD, kdf=KdfParams.for_tests())
    # The case: `keyfob code github`, a TOTP account (a HOTP code would add a save).
    github = Account(secret=os.urandom(20), issuer="GitHub", name="me@example.com")
    vault.add_accounts([*sample_accounts(999), github])
    with running_secret_service() as keyring:
        before = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = keyring.address
        try:
            enable(vault)
        finally:
            if before is None:
                del os.environ["DBUS_SESSION_BUS_ADDRESS"]
            else:
                os.environ["DBUS_SESSION_BUS_ADDRESS"] = before
        env = {
            **os.environ,
            **keyring.env,
            "KEYFOB_PASSWORD_FILE": "",  # nothing to fall back on: the keyring must open it
            "KEYFOB_STATE_DIR": str(folder / "state"),
        }
        command = [keyfob, "--vault", str(path), "code", "github"]

        def run() -> None:
            subprocess.run(command, check=True, capture_output=True, env=env)

        run()  # warms the disk cache and the keyring daemon; not counted
        whole = median_ms(run, 9)
    return (name, f"{whole:.0f} ms", "<= 250 ms")


def bench_conflict_copies(folder: Path) -> list[tuple[str, str, str]]:
    """Issue 13: merging a 10,000-account conflict copy, and what looking for copies adds to
    every open and save when there are none."""
    from app.vault.account_edits import edit_account
    from app.vault.conflict_copies import find_conflict_copies
    from app.vault.merge import merge_contents

    def diverged(path: Path) -> tuple[Vault, Vault]:
        # One vault, copied to a second computer; each then changes 500 accounts of its own
        # and adds 100.
        here = Vault.create(path, PASSWORD, kdf=KdfParams.for_tests())
        here.add_accounts(sample_accounts(10_000))
        other_path = path.parent / "other" / path.name
        other_path.parent.mkdir()
        shutil.copy(path, other_path)
        there = Vault.open(other_path, PASSWORD)
        for vault, offset in ((here, 0), (there, 5_000)):
            uuids = [a.uuid for a in vault.content.accounts[offset : offset + 500]]

            def edit(content: VaultContent, uuids: list[str] = uuids) -> None:
                for uuid in uuids:
                    edit_account(content, uuid, {"note": "changed"})

            vault.modify(edit)
            vault.add_accounts(sample_accounts(100))
        return here, there

    rows = []
    here, there = diverged(folder / "merge" / "vault.json")
    merge = median_ms(lambda: merge_contents(here.content, there.content), 5)
    rows.append(("merge two 10,000-account copies (KDF excluded)", f"{merge:.0f} ms", "<= 200 ms"))

    def take_in() -> None:
        # The whole of it: read and decrypt the copy, merge, save, move it into the backups.
        home, away = diverged(folder / f"take-{time.perf_counter_ns()}" / "vault.json")
        shutil.copy(away.path, home.path.parent / "vault (1).json")
        start = time.perf_counter()
        home.take_in_conflict_copies()
        timings.append((time.perf_counter() - start) * 1000)

    timings: list[float] = []
    for _ in range(3):
        take_in()
    rows.append(
        (
            "take in a 10,000-account conflict copy (decrypt, merge, save, move)",
            f"{statistics.median(timings):.0f} ms",
            "-",
        )
    )

    # A vault folder as it looks after a while: the vault, its lock, the backups folder, and
    # a few files of the user's.
    plain = folder / "plain" / "vault.json"
    vault = Vault.create(plain, PASSWORD, kdf=KdfParams.for_tests())
    vault.add_accounts(sample_accounts(1_000))
    for name in ("notes.txt", "vault.json.bak", "other.kdbx", "photo.jpg"):
        (plain.parent / name).write_bytes(b"x")
    alone: list[float] = []
    looking: list[float] = []
    for _ in range(21):  # taken in turns, so that neither gets the warmer caches
        alone.append(median_ms(lambda: Vault.open(plain, PASSWORD), 1))
        looking.append(median_ms(lambda: Vault.open(plain, PASSWORD).take_in_conflict_copies(), 1))
    opened, opened_and_looked = statistics.median(alone), statistics.median(looking)
    scan = median_ms(lambda: find_conflict_copies(plain), 51)
    rows.append(("open a vault, 1,000 accounts (cheap KDF)", f"{opened:.1f} ms", "-"))
    rows.append(
        (
            "open a vault, 1,000 accounts, and take in conflict copies: none there",
            f"{opened_and_looked:.1f} ms",
            "same as above",
        )
    )
    rows.append(
        ("look for conflict copies beside a vault (each open and save)", f"{scan:.3f} ms", "~0")
    )
    return rows


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kdf_path = folder / "kdf.json"
        Vault.create(kdf_path, PASSWORD)
        unlock = median_ms(lambda: Vault.open(kdf_path, PASSWORD), 3)
        params = KdfParams.default()
        rows.append(
            (
                f"unlock with the KDF (Argon2id {params.memory_kib // 1024} MiB, "
                f"{params.iterations} passes, {params.lanes} lanes)",
                f"{unlock:.0f} ms",
                "300-1000 ms",
            )
        )
        for count in (1_000, 10_000):
            save, load = bench_vault(folder, count)
            target = "<= 50 ms" if count == 10_000 else "-"
            rows.append(
                (f"vault save, {count:,} accounts (no KDF; with backup)", f"{save:.1f} ms", target)
            )
            rows.append((f"vault load, {count:,} accounts (no KDF)", f"{load:.1f} ms", target))

        rows += bench_conflict_copies(folder)

        accounts = sample_accounts(10_000)
        now = time.time()
        codes = median_ms(lambda: [code_at(a, now) for a in accounts], 7)
        rows.append(("codes for 10,000 accounts", f"{codes:.1f} ms", "<= 60 ms"))

        cli_vault = folder / "cli.json"
        Vault.create(cli_vault, PASSWORD).add_accounts(sample_accounts(100))
        password_file = folder / "password"
        password_file.write_text(PASSWORD)
        keyfob = str(Path(sys.executable).with_name("keyfob"))
        command = [keyfob, "--vault", str(cli_vault), "--password-file", str(password_file)]
        env = {**os.environ}

        def run(*args: str) -> None:
            subprocess.run([*command, *args], check=True, capture_output=True, env=env)

        whole = median_ms(lambda: run("code", "Issuer 12"), 5)
        rows.append(
            ("`keyfob code QUERY` process, 100 accounts (KDF included)", f"{whole:.0f} ms", "-")
        )
        start_only = median_ms(
            lambda: subprocess.run([keyfob, "--version"], check=True, capture_output=True), 5
        )
        rows.append(("`keyfob --version` process (start-up alone)", f"{start_only:.0f} ms", "-"))
        rows.append(bench_quick_unlock(folder, keyfob))

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement'.ljust(width)}  {'figure':>10}  target")
    for name, figure, target in rows:
        print(f"{name.ljust(width)}  {figure:>10}  {target}")


if __name__ == "__main__":
    main()
