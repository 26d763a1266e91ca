"""Benchmark of the foundation: KDF, vault save/load, code generation, `keyfob code`.

Run: .venv/bin/python tests/bench/core.py    (not part of the test run; prints a table)
Figures are medians of several runs on this machine; targets come from the issue.
"""

from __future__ import annotations

import os
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
from app.vault.store import Vault  # noqa: E402

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

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement'.ljust(width)}  {'figure':>10}  target")
    for name, figure, target in rows:
        print(f"{name.ljust(width)}  {figure:>10}  {target}")


if __name__ == "__main__":
    main()
