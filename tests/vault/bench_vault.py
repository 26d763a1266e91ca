"""Vault speed against its targets: `python -m tests.vault.bench_vault [ACCOUNTS]`.

Not a test (pytest does not collect it): it prints a table. Targets: unlocking with the
default KDF 0.3-1.0 s; saving (with its backup) and loading 10,000 accounts 50 ms each,
KDF excluded.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.core.account import Account, OtpType
from app.vault import KdfParams, Vault
from app.vault.kdf import derive_key


def _time(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time: on a shared machine the CPU time is steadier."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _accounts(count: int) -> list[Account]:
    return [
        Account(
            secret=os.urandom(20),
            type=OtpType.HOTP if i % 10 == 0 else OtpType.TOTP,
            issuer=f"Issuer {i}",
            name=f"user{i}@example.com",
            groups=("Work",) if i % 3 == 0 else (),
            note="a note" if i % 7 == 0 else "",
            sort_position=i,
        )
        for i in range(count)
    ]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rows: list[tuple[str, float, float, str]] = []  # name, wall, cpu, target

    params = KdfParams.default()
    wall, cpu = _time(lambda: derive_key("correct horse battery staple", params), 5)
    rows.append(
        (
            f"KDF Argon2id {params.memory_kib // 1024} MiB x {params.iterations} x "
            f"{params.lanes} lanes",
            wall,
            cpu,
            "0.3-1.0 s",
        )
    )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vault.json"
        vault = Vault.create(path, "pw", kdf=KdfParams.for_tests())
        vault.add_accounts(_accounts(count))
        size = path.stat().st_size

        counter = iter(range(10**9))

        def touch(content: object) -> None:
            del content
            next(counter)

        wall, cpu = _time(lambda: vault.modify(touch), 15)
        rows.append((f"save {count} accounts + backup", wall, cpu, "<= 50 ms"))

        other = Vault.open(path, "pw")

        def reload() -> None:
            other._digest = b""  # force a full reload, as after another process's save
            other.refresh()

        wall, cpu = _time(reload, 15)
        rows.append((f"load {count} accounts (no KDF)", wall, cpu, "<= 50 ms"))

    print(f"vault file: {size / 1e6:.1f} MB for {count} accounts")
    print(f"{'measure (median of runs)':<44} {'wall':>9} {'cpu':>9}  target")
    for name, wall, cpu, target in rows:
        print(f"{name:<44} {wall * 1000:>7.0f}ms {cpu * 1000:>7.0f}ms  {target}")


if __name__ == "__main__":
    main()
