"""Test-wide set-up: Qt renders offscreen; the interop data beside the project, and how an
account compares with it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from app.core.account import Account, OtpType
from app.core.secret import encode_base32

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT.parent / "shared" / "interop"
# The parameter a data-driven test gets when the data is absent, so it still runs once and
# says why it skipped (or, under CI, fails) instead of vanishing from the report.
INTEROP_MISSING = "<../shared/interop is missing>"


def running_in_ci() -> bool:
    """True when CI is set to a true value (CI=true, as CI runs the suite; also 1 or yes)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def interop_dir() -> Path:
    """The real exports of other apps (../shared/interop), for the test that calls this.

    A fresh clone has no ../shared beside it: the calling test is skipped with the reason.
    CI always lays the data beside the checkout, so there its absence fails the test rather
    than quietly checking less.
    """
    if (INTEROP / "expected.json").is_file():
        return INTEROP
    reason = (
        f"the interop data is missing: {INTEROP} (the shared/interop folder beside the "
        "checkout) holds the other apps' real exports these tests read"
    )
    if running_in_ci():
        pytest.fail(f"{reason}; CI must have it", pytrace=False)
    pytest.skip(reason)


def interop_fields(account: Account) -> dict[str, object]:
    """An account's fields as expected.json writes them (a HOTP account has no period, the
    others no counter), to compare imported accounts with what they must be."""
    hotp = account.type is OtpType.HOTP
    return {
        "type": account.type.value,
        "issuer": account.issuer,
        "name": account.name,
        "secret": encode_base32(account.secret),
        "algorithm": account.algorithm.value,
        "digits": account.digits,
        "period": None if hotp else account.period,
        "counter": account.counter if hotp else None,
    }


def interop_expected() -> dict[str, Any]:
    """expected.json of the interop data, or {} when it is absent.

    For building test parameters at collection time, where skipping is not possible: a test
    built from it must call interop_dir() first.
    """
    expected = INTEROP / "expected.json"
    if not expected.is_file():
        return {}
    cases: dict[str, Any] = json.loads(expected.read_text(encoding="utf-8"))
    return cases


# CI runs the same examples every time, so a red build is reproducible and a green one is not
# luck; on a developer's machine hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if running_in_ci():
    settings.load_profile("ci")
