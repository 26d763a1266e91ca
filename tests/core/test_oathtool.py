"""Our codes against Debian's oathtool (oath-toolkit), an independent implementation.

Each oathtool call prints a window of consecutive codes, so a few dozen calls check
hundreds of codes. The secrets are fed on stdin, as oathtool's help recommends.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from app.core.account import Account, Algorithm, OtpType
from app.core.otp import code_at, hotp

OATHTOOL = "/usr/bin/oathtool"
WINDOW = 9  # oathtool prints WINDOW + 1 codes: the requested one and the next nine
SEED = 20240611


@pytest.fixture(scope="module")
def oathtool() -> str:
    path = OATHTOOL if Path(OATHTOOL).exists() else shutil.which("oathtool")
    assert path, (
        "oathtool is missing: install Debian's oathtool (apt-get install -y oathtool); "
        "tests/run.sh's set-up installs it in CI"
    )
    return path


def _run(oathtool: str, args: list[str], secret: bytes) -> list[str]:
    result = subprocess.run(
        [oathtool, *args, "-w", str(WINDOW), "-"],
        input=secret.hex() + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    assert result.returncode == 0, f"oathtool {' '.join(args)} failed: {result.stderr.strip()}"
    codes = result.stdout.split()
    assert len(codes) == WINDOW + 1
    return codes


def _secret(rng: random.Random) -> bytes:
    length = rng.choice([10, 10, 16, 20, 32, 64, rng.randint(1, 100)])
    return rng.randbytes(length)


def _totp_cases() -> list[tuple[bytes, Algorithm, int, int, int]]:
    rng = random.Random(SEED)
    cases = []
    for algorithm in Algorithm:
        for digits in (6, 7, 8):
            for period in (15, 30, 60, 90, rng.randint(1, 300)):
                now = rng.choice([0, 59, rng.randint(0, 2**32), rng.randint(0, 2**34)])
                cases.append((_secret(rng), algorithm, digits, period, now))
    return cases


def test_totp_matches_oathtool(oathtool: str) -> None:
    cases = _totp_cases()
    assert len(cases) == 45  # 45 calls, 450 codes
    for secret, algorithm, digits, period, now in cases:
        args = [f"--totp={algorithm.value}", "-d", str(digits), "-s", f"{period}s", "-N", f"@{now}"]
        expected = _run(oathtool, args, secret)
        account = Account(secret=secret, algorithm=algorithm, digits=digits, period=period)
        ours = [code_at(account, now + k * period).text for k in range(WINDOW + 1)]
        assert ours == expected, f"TOTP {algorithm} {digits} digits {period} s at {now}"


def test_hotp_matches_oathtool(oathtool: str) -> None:
    # oathtool's HOTP mode is SHA1 only.
    rng = random.Random(SEED + 1)
    for digits in (6, 7, 8):
        for counter in (0, 1, rng.randint(0, 1000), rng.randint(0, 2**32), rng.randint(0, 2**62)):
            secret = _secret(rng)
            expected = _run(oathtool, ["-c", str(counter), "-d", str(digits)], secret)
            ours = [hotp(secret, counter + k, Algorithm.SHA1, digits) for k in range(WINDOW + 1)]
            assert ours == expected, f"HOTP {digits} digits at counter {counter}"
            account = Account(secret=secret, type=OtpType.HOTP, digits=digits, counter=counter)
            assert code_at(account, 0).text == expected[0]
