"""Keyfob -> export -> import gives the same accounts, for every format that can be read back.

Compared: type, issuer, name, secret, algorithm, digits, period, counter, and groups, note,
favourite and icon where the format carries them. Google Authenticator's QR codes are read
back from the PNG files by zxing-cpp, as a phone's camera would.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.core.account import Account, Algorithm, OtpType
from app.core.migration import migration_problem, parse_migration
from app.formats import registry
from app.formats.exporters.aegis import AegisExporter, aegis_content, aegis_file
from app.formats.exporters.googleqr import GoogleQrExporter
from app.formats.exporters.keyfob import KeyfobExporter
from app.formats.exporters.uris import UriListExporter, uri_lines
from app.qr.decode import decode_image_file
from app.vault.kdf import KdfParams

PASSWORD = "export password"
CHEAP_SCRYPT = 1 << 10  # the file says N; Aegis itself writes 2^15 (tested in test_export.py)

Fields = tuple[str, str, str, bytes, str, int, int, int]


def png_icon() -> str:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def sample_accounts() -> list[Account]:
    """Every kind of account, the odd settings, and text that needs escaping somewhere."""
    return [
        Account(
            secret=b"12345678901234567890",
            issuer="ACME Co",
            name="alice@example.com",
            groups=("Work",),
            note='desk <drawer> & "quotes"',
            favourite=True,
            icon=png_icon(),
        ),
        Account(
            secret=bytes(range(32)),
            issuer="Example",
            name="bob",
            algorithm=Algorithm.SHA256,
            digits=8,
            period=60,
        ),
        Account(secret=bytes(range(64)), issuer="Long", name="carol", algorithm=Algorithm.SHA512),
        Account(secret=b"0123456789", issuer="Seven", name="dave", digits=7),
        Account(
            secret=b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",
            type=OtpType.HOTP,
            issuer="Hotp Inc",
            name="erin",
            counter=42,
            groups=("Work", "Home"),
        ),
        Account(
            secret=b"abcdefghijklmnop",
            type=OtpType.HOTP,
            issuer="Counter",
            name="frank",
            algorithm=Algorithm.SHA256,
            digits=8,
        ),
        Account(secret=b"steam-secret-bytes!!", type=OtpType.STEAM, issuer="Steam", name="gina"),
        Account(secret=b"unicode-secret", issuer="Zürich Bank ☃", name="user:one@example.com"),
        Account(secret=b"no-issuer-secret", name="just a name"),
        Account(secret=b"\xff" * 20, issuer="Ampersand & Co", name="x&y=z?w#v%20", note="n"),
    ]


def fields(account: Account) -> Fields:
    return (
        account.type.value,
        account.issuer,
        account.name,
        account.secret,
        account.algorithm.value,
        account.digits,
        account.period,
        account.counter,
    )


def all_fields(accounts: Sequence[Account]) -> list[Fields]:
    return [fields(a) for a in accounts]


def extras(accounts: Sequence[Account]) -> list[tuple[tuple[str, ...], str, bool, str | None]]:
    return [(a.groups, a.note, a.favourite, a.icon) for a in accounts]


def read_back(path: Path, password: str | None) -> tuple[str, list[Account]]:
    importer, result = registry.read_file(path.read_bytes(), path.name, password)
    assert not result.problems
    return importer.name, result.accounts


def test_aegis_encrypted_round_trip(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "aegis.json"
    report = AegisExporter(encrypted=True, scrypt_n=CHEAP_SCRYPT).write(accounts, out, PASSWORD)
    assert report.exported == len(accounts)
    assert not report.left_out
    name, back = read_back(out, PASSWORD)
    assert name == "aegis"
    assert all_fields(back) == all_fields(accounts)
    assert extras(back) == extras(accounts)


def test_aegis_plain_round_trip(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "aegis-plain.json"
    AegisExporter(encrypted=False).write(accounts, out, None)
    name, back = read_back(out, None)
    assert name == "aegis"
    assert all_fields(back) == all_fields(accounts)
    assert extras(back) == extras(accounts)


def test_uri_list_round_trip(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "accounts.txt"
    report = UriListExporter().write(accounts, out, None)
    assert report.notes  # groups and notes are said to be left behind
    name, back = read_back(out, None)
    assert name == "otpauth"
    assert all_fields(back) == all_fields(accounts)


def test_keyfob_round_trip_keeps_everything(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "keyfob-export.json"
    KeyfobExporter(kdf=KdfParams.for_tests()).write(accounts, out, PASSWORD, groups=["Home"])
    name, back = read_back(out, PASSWORD)
    assert name == "keyfob"
    assert back == accounts  # every field: uuid, times, sort position included


def test_google_qr_round_trip_through_the_images(tmp_path: Path) -> None:
    # 25 accounts Google can hold (more than one QR code's worth) plus those it cannot.
    google = [a for a in sample_accounts() if migration_problem(a) is None]
    more = [
        Account(secret=bytes([i]) * 20, issuer=f"Service {i}", name=f"user{i}@example.com")
        for i in range(25 - len(google))
    ]
    accounts = [*sample_accounts(), *more]
    fitting = [a for a in accounts if migration_problem(a) is None]
    folder = tmp_path / "to-phone"
    report = GoogleQrExporter().write(accounts, folder, None)

    images = sorted(folder.glob("qr-*.png"), key=lambda p: int(p.name.split("-")[1]))
    count = len(images)
    assert count >= 3
    assert [p.name for p in images] == [f"qr-{i}-of-{count}.png" for i in range(1, count + 1)]
    decoded = []
    for index, image in enumerate(images):
        texts = decode_image_file(image)
        assert len(texts) == 1
        batch = parse_migration(texts[0])
        assert (batch.batch_index, batch.batch_size) == (index, count)
        decoded += batch.accounts
    assert all_fields(decoded) == all_fields(fitting)
    assert report.exported == len(fitting)
    assert {item.label for item in report.left_out} == {
        a.label for a in accounts if migration_problem(a) is not None
    }
    # ... and the importer reads the images' text as one Google Authenticator export.
    text = "\n".join(decode_image_file(p)[0] for p in images).encode()
    importer, result = registry.read_file(text, "qr.txt", None)
    assert importer.name == "googleauth"
    assert all_fields(result.accounts) == all_fields(fitting)
    assert not result.problems


# --- any account, through the plain formats ---------------------------------------------------

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=30).map(str.strip)
accounts_strategy = st.builds(
    Account,
    secret=st.binary(min_size=1, max_size=64),
    type=st.sampled_from(list(OtpType)),
    issuer=texts,
    name=texts,
    algorithm=st.sampled_from(list(Algorithm)),
    digits=st.integers(6, 10),
    period=st.integers(1, 86400),
    counter=st.integers(0, 2**63 - 1),
    groups=st.lists(st.text(min_size=1, max_size=10), max_size=3, unique=True).map(tuple),
    note=st.text(max_size=40),
    favourite=st.booleans(),
)


def _normal(account: Account) -> Account:
    # What the formats cannot say: a Steam code's period is 30 in Aegis; HOTP has no period
    # and TOTP no counter in a URI.
    if account.type is OtpType.STEAM:
        return replace(account, period=30, counter=0)
    if account.type is OtpType.HOTP:
        return replace(account, period=30)
    return replace(account, counter=0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(accounts_strategy, min_size=1, max_size=5))
def test_any_accounts_survive_aegis_plain(accounts: list[Account]) -> None:
    accounts = [_normal(a) for a in accounts]
    content, left_out, _notes = aegis_content(accounts)
    assert not left_out
    result = registry.by_name("aegis").read(aegis_file(content, None), None)
    assert not result.problems
    assert all_fields(result.accounts) == all_fields(accounts)
    assert [(a.groups, a.note, a.favourite) for a in result.accounts] == [
        (a.groups, a.note, a.favourite) for a in accounts
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(accounts_strategy, min_size=1, max_size=5))
def test_any_accounts_survive_the_uri_list(accounts: list[Account]) -> None:
    accounts = [_normal(a) for a in accounts]
    result = registry.by_name("otpauth").read(uri_lines(accounts).encode("ascii"), None)
    assert not result.problems
    assert all_fields(result.accounts) == all_fields(accounts)


@pytest.mark.parametrize("encrypted", [True, False])
def test_aegis_export_is_claimed_by_the_aegis_importer_only(
    tmp_path: Path, encrypted: bool
) -> None:
    out = tmp_path / "export.json"
    AegisExporter(encrypted=encrypted, scrypt_n=CHEAP_SCRYPT).write(
        sample_accounts(), out, PASSWORD if encrypted else None
    )
    data = out.read_bytes()
    assert [i.name for i in registry.claimants(data, out.name)] == ["aegis"]
    assert registry.by_name("aegis").needs_password(data) is encrypted
