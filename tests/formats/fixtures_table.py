"""One valid file of each kind, made by samples.py, with the importer that must claim it and
the accounts it must give, field by field (as ../shared/interop/expected.json does for the
real files).
"""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.account import Account
from tests.conftest import interop_fields
from tests.formats import samples as s

Seen = dict[str, object]


def seen(account: Account) -> Seen:
    """What a user sees of an imported account (a HOTP account has no period, others no
    counter; the uuid and times are the import's own)."""
    return {
        **interop_fields(account),
        "groups": list(account.groups),
        "note": account.note,
        "favourite": account.favourite,
        "icon": account.icon,
    }


def want(sample: s.Sample, **changes: Any) -> Seen:
    """The account an importer must give for `sample`, with what its format changes."""
    return seen(replace(sample.account(), **changes))


def each(samples: tuple[s.Sample, ...]) -> tuple[Seen, ...]:
    return tuple(want(sample) for sample in samples)


@dataclass(frozen=True)
class Fixture:
    label: str
    importer: str
    filename: str
    data: bytes
    password: str | None = None
    protected: int = 0  # leading bytes mutations leave alone (a KDF cost lives there)
    expected: tuple[Seen, ...] = field(kw_only=True)  # in the file's order


def _old_andotp() -> bytes:
    # The importer also tries the current format on a damaged old file, reading the nonce's
    # first bytes as an iteration count: keep that count above the bound so tests stay fast.
    while True:
        data = s.andotp_encrypted_old([s.andotp_entry(x) for x in s.ALL])
        if data[0] >= 1:
            return data


@functools.cache
def fixtures() -> tuple[Fixture, ...]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        stratum_db = s.stratum_db(tmp / "authenticator.db3", s.ALL)
        microsoft = s.microsoft_db(tmp / "PhoneFactor", [("ACME", "alice", s.TOTP.b32, 0)])
        google_db = s.googleauth_db(tmp / "databases", [s.TOTP, s.HOTP])
    aegis_content = s.aegis_content([s.aegis_entry(x) for x in s.ALL], [{"uuid": "g", "name": "G"}])
    andotp_entries = [s.andotp_entry(x) for x in s.ALL]
    stratum_plain = s.stratum_plain([s.stratum_entry(x) for x in s.ALL])
    from app.core.migration import build_migration

    migration = "\n".join(build_migration([x.account() for x in s.GOOGLE], per_batch=1))
    everything, no_steam = each(s.ALL), each(s.NO_STEAM)
    return (
        Fixture(
            "aegis plain", "aegis", "aegis.json", s.aegis_plain(aegis_content), expected=everything
        ),
        Fixture(
            "aegis encrypted",
            "aegis",
            "aegis.json",
            s.aegis_encrypted(aegis_content),
            s.PASSWORD,
            expected=everything,
        ),
        Fixture(
            "andotp plain",
            "andotp",
            "otp_accounts.json",
            s.andotp_plain(andotp_entries),
            expected=everything,
        ),
        Fixture(
            "andotp encrypted",
            "andotp",
            "otp_accounts.json.aes",
            s.andotp_encrypted(andotp_entries),
            s.PASSWORD,
            4,
            expected=everything,
        ),
        Fixture(
            "andotp old",
            "andotp",
            "otp_accounts.json.aes",
            _old_andotp(),
            s.PASSWORD,
            4,
            expected=everything,
        ),
        Fixture(
            "2fas plain",
            "twofas",
            "b.2fas",
            s.twofas([s.twofas_service(x) for x in s.ALL]),
            expected=everything,
        ),
        Fixture(
            "2fas encrypted",
            "twofas",
            "b.2fas",
            s.twofas([s.twofas_service(x) for x in s.ALL], 4, s.PASSWORD),
            s.PASSWORD,
            expected=everything,
        ),
        Fixture(
            "freeotp v1",
            "freeotp",
            "tokens.xml",
            s.freeotp_v1([s.freeotp_token(x) for x in s.NO_STEAM]),
            expected=no_steam,
        ),
        Fixture(
            "freeotp v2",
            "freeotp",
            "externalBackup.xml",
            s.freeotp_v2(s.NO_STEAM),
            s.PASSWORD,
            expected=no_steam,
        ),
        Fixture(
            "freeotp+",
            "freeotpplus",
            "freeotp-backup.json",
            s.freeotp_plus([s.freeotp_token(x) for x in s.NO_STEAM]),
            expected=no_steam,
        ),
        Fixture("stratum plain", "stratum", "backup.json", stratum_plain, expected=everything),
        Fixture(
            "stratum encrypted",
            "stratum",
            "backup.authpro",
            s.stratum_encrypted(stratum_plain),
            s.PASSWORD,
            expected=everything,
        ),
        Fixture(
            "stratum legacy",
            "stratum",
            "backup.authpro",
            s.stratum_legacy(stratum_plain),
            s.PASSWORD,
            expected=everything,
        ),
        Fixture(
            "stratum database",
            "stratum",
            "authenticator.db3",
            stratum_db,
            # The database puts the first account in the category "Work".
            expected=(want(s.TOTP, groups=("Work",)), *each(s.ALL[1:])),
        ),
        Fixture(
            "totp authenticator",
            "totpauthenticator",
            "backup.encrypt",
            s.totpauth_backup([s.totpauth_entry(s.TOTP)], s.PASSWORD),
            s.PASSWORD,
            expected=each((s.TOTP,)),
        ),
        Fixture(
            "totp authenticator prefs",
            "totpauthenticator",
            "prefs.xml",
            s.totpauth_prefs([s.totpauth_entry(s.TOTP)]),
            expected=each((s.TOTP,)),
        ),
        Fixture(
            "authy",
            "authy",
            "authy.xml",
            s.authy_prefs([s.authy_token(s.TOTP, s.PASSWORD), s.authy_token(s.TOTP256)]),
            s.PASSWORD,
            # Authy keeps the digits only: SHA1 and 30 s.
            expected=(want(s.TOTP), want(s.TOTP256, algorithm="SHA1", period=30)),
        ),
        Fixture(
            "battle.net",
            "battlenet",
            "prefs.xml",
            s.battlenet_prefs(bytes(range(20)), "US-1234-5678-9012"),
            expected=(
                want(
                    s.Sample("totp", "Battle.net", "US-1234-5678-9012", bytes(range(20))), digits=8
                ),
            ),
        ),
        Fixture(
            "duo",
            "duo",
            "accounts.json",
            json.dumps(
                [{"name": "a", "otpGenerator": {"otpSecret": s.TOTP.b32}, "pkey": "1"}]
            ).encode(),
            expected=(want(s.TOTP, issuer="", name="a"),),  # Duo keeps no issuer
        ),
        Fixture(
            "steam",
            "steam",
            "Steamguard-1",
            json.dumps(
                {
                    "accounts": {
                        "1": {"shared_secret": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "account_name": "d"}
                    }
                }
            ).encode(),
            expected=(want(s.Sample("steam", "Steam", "d", bytes(20), digits=5)),),
        ),
        Fixture(
            "microsoft",
            "microsoft",
            "PhoneFactor",
            microsoft,
            expected=(want(s.TOTP, issuer="ACME", name="alice"),),
        ),
        Fixture(
            "google database",
            "googleauth",
            "databases",
            google_db,
            # Google Authenticator 5 had SHA1, 6 digits and 30 s only.
            expected=(want(s.TOTP), want(s.HOTP, algorithm="SHA1", digits=6)),
        ),
        Fixture(
            "google migration",
            "googleauth",
            "qr.txt",
            migration.encode(),
            expected=each(s.GOOGLE),
        ),
        Fixture(
            "otpauth list", "otpauth", "accounts.txt", s.otpauth_list(s.ALL), expected=everything
        ),
        Fixture(
            "winauth",
            "winauth",
            "winauth.txt",
            s.otpauth_list(s.ALL),
            # WinAuth's label is the name the user gave: it becomes the issuer.
            expected=tuple(want(x, issuer=x.name, name="WinAuth") for x in s.ALL),
        ),
        Fixture(
            "ente",
            "ente",
            "ente.txt",
            (s.uri(s.TOTP) + "&codeDisplay=%7B%7D\n").encode(),
            expected=each((s.TOTP,)),
        ),
        Fixture(
            "bitwarden json",
            "bitwarden",
            "bw.json",
            s.bitwarden_json([("A", "a", s.uri(s.TOTP)), ("S", "", "steam://" + s.STEAM.b32)]),
            expected=(want(s.TOTP), want(s.STEAM, issuer="Steam", name="Steam account")),
        ),
        Fixture(
            "bitwarden csv",
            "bitwarden",
            "bw.csv",
            s.bitwarden_csv([("A", "a", s.uri(s.TOTP))]),
            expected=each((s.TOTP,)),
        ),
        Fixture(
            "proton",
            "proton",
            "proton.json",
            s.proton([(s.uri(s.TOTP), "alice")]),
            expected=(want(s.TOTP, name="alice"),),  # Proton's own name wins over the URI's
        ),
        Fixture(
            "authenticator plus",
            "authenticatorplus",
            "backup.zip",
            s.zipcrypto_zip("Accounts.txt", s.otpauth_list(s.ALL), s.PASSWORD),
            s.PASSWORD,
            expected=everything,
        ),
    )
