"""2FAS backups written by the tests: schemas 1-4, plain and encrypted."""

from __future__ import annotations

import json

import pytest

from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.twofas import TwoFasImporter
from app.formats.view import SourceView
from tests.formats import samples as s

TWOFAS = TwoFasImporter()


@pytest.mark.parametrize("password", [None, s.PASSWORD])
def test_schema_4_with_every_type_and_a_group(password: str | None) -> None:
    services = [
        s.twofas_service(x, groupId="g1") if x is s.TOTP else s.twofas_service(x) for x in s.ALL
    ]
    data = s.twofas(
        services, 4, password, groups=[{"id": "g1", "name": "Work", "isExpanded": True}]
    )
    assert TWOFAS.sniff(SourceView(data, "2fas-backup-20240101.2fas"))
    assert TWOFAS.needs_password(data) is (password is not None)
    result = TWOFAS.read(data, password)
    assert s.keys(result.accounts) == s.keys(s.ALL)
    assert [a.groups for a in result.accounts] == [("Work",), (), (), ()]


def test_schema_2_has_no_token_types_so_everything_is_totp() -> None:
    data = s.twofas([s.twofas_service(s.HOTP, schema=2)], 2)
    (account,) = TWOFAS.read(data, None).accounts
    assert (account.type.value, account.algorithm.value, account.digits, account.period) == (
        "totp",
        "SHA512",
        7,
        30,
    )


def test_issuer_falls_back_to_the_otp_issuer() -> None:
    service = s.twofas_service(s.TOTP, name="")
    assert TWOFAS.read(s.twofas([service]), None).accounts[0].issuer == "ACME Co"


def test_wrong_or_missing_password() -> None:
    data = s.twofas([s.twofas_service(s.TOTP)], 4, s.PASSWORD)
    with pytest.raises(WrongPasswordError, match="2FAS"):
        TWOFAS.read(data, "nope")
    with pytest.raises(PasswordRequiredError):
        TWOFAS.read(data, None)


def test_bad_service_is_a_problem_and_bad_files_are_errors() -> None:
    services = [s.twofas_service(s.TOTP, secret=""), s.twofas_service(s.TOTP256)]
    services[1]["otp"]["tokenType"] = "PUSH"
    result = TWOFAS.read(s.twofas([*services, s.twofas_service(s.STEAM)]), None)
    assert s.keys(result.accounts) == s.keys([s.STEAM])
    assert [p.reason for p in result.problems] == ["secret is empty", "unsupported type"]

    backup = json.loads(s.twofas([], 4))
    backup["schemaVersion"] = 9
    with pytest.raises(ImportFormatError, match="unsupported schema version 9"):
        TWOFAS.read(json.dumps(backup).encode(), None)
    backup = json.loads(s.twofas([s.twofas_service(s.TOTP)], 4, s.PASSWORD))
    backup["servicesEncrypted"] = "only:two"
    with pytest.raises(ImportFormatError, match="damaged"):
        TWOFAS.read(json.dumps(backup).encode(), s.PASSWORD)
    with pytest.raises(ImportFormatError):
        TWOFAS.read(b'{"schemaVersion": 4, "services": 5}', None)
