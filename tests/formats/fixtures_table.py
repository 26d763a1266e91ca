"""One valid file of each kind, made by samples.py, with the importer that must claim it."""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.formats import samples as s


@dataclass(frozen=True)
class Fixture:
    label: str
    importer: str
    filename: str
    data: bytes
    password: str | None = None
    protected: int = 0  # leading bytes mutations leave alone (a KDF cost lives there)


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
    return (
        Fixture("aegis plain", "aegis", "aegis.json", s.aegis_plain(aegis_content)),
        Fixture(
            "aegis encrypted", "aegis", "aegis.json", s.aegis_encrypted(aegis_content), s.PASSWORD
        ),
        Fixture("andotp plain", "andotp", "otp_accounts.json", s.andotp_plain(andotp_entries)),
        Fixture(
            "andotp encrypted",
            "andotp",
            "otp_accounts.json.aes",
            s.andotp_encrypted(andotp_entries),
            s.PASSWORD,
            4,
        ),
        Fixture("andotp old", "andotp", "otp_accounts.json.aes", _old_andotp(), s.PASSWORD, 4),
        Fixture("2fas plain", "twofas", "b.2fas", s.twofas([s.twofas_service(x) for x in s.ALL])),
        Fixture(
            "2fas encrypted",
            "twofas",
            "b.2fas",
            s.twofas([s.twofas_service(x) for x in s.ALL], 4, s.PASSWORD),
            s.PASSWORD,
        ),
        Fixture(
            "freeotp v1",
            "freeotp",
            "tokens.xml",
            s.freeotp_v1([s.freeotp_token(x) for x in s.NO_STEAM]),
        ),
        Fixture(
            "freeotp v2", "freeotp", "externalBackup.xml", s.freeotp_v2(s.NO_STEAM), s.PASSWORD
        ),
        Fixture(
            "freeotp+",
            "freeotpplus",
            "freeotp-backup.json",
            s.freeotp_plus([s.freeotp_token(x) for x in s.NO_STEAM]),
        ),
        Fixture("stratum plain", "stratum", "backup.json", stratum_plain),
        Fixture(
            "stratum encrypted",
            "stratum",
            "backup.authpro",
            s.stratum_encrypted(stratum_plain),
            s.PASSWORD,
        ),
        Fixture(
            "stratum legacy",
            "stratum",
            "backup.authpro",
            s.stratum_legacy(stratum_plain),
            s.PASSWORD,
        ),
        Fixture("stratum database", "stratum", "authenticator.db3", stratum_db),
        Fixture(
            "totp authenticator",
            "totpauthenticator",
            "backup.encrypt",
            s.totpauth_backup([s.totpauth_entry(s.TOTP)], s.PASSWORD),
            s.PASSWORD,
        ),
        Fixture(
            "totp authenticator prefs",
            "totpauthenticator",
            "prefs.xml",
            s.totpauth_prefs([s.totpauth_entry(s.TOTP)]),
        ),
        Fixture(
            "authy",
            "authy",
            "authy.xml",
            s.authy_prefs([s.authy_token(s.TOTP, s.PASSWORD), s.authy_token(s.TOTP256)]),
            s.PASSWORD,
        ),
        Fixture(
            "battle.net",
            "battlenet",
            "prefs.xml",
            s.battlenet_prefs(bytes(range(20)), "US-1234-5678-9012"),
        ),
        Fixture(
            "duo",
            "duo",
            "accounts.json",
            json.dumps(
                [{"name": "a", "otpGenerator": {"otpSecret": s.TOTP.b32}, "pkey": "1"}]
            ).encode(),
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
        ),
        Fixture("microsoft", "microsoft", "PhoneFactor", microsoft),
        Fixture("google database", "googleauth", "databases", google_db),
        Fixture("google migration", "googleauth", "qr.txt", migration.encode()),
        Fixture("otpauth list", "otpauth", "accounts.txt", s.otpauth_list(s.ALL)),
        Fixture("winauth", "winauth", "winauth.txt", s.otpauth_list(s.ALL)),
        Fixture("ente", "ente", "ente.txt", (s.uri(s.TOTP) + "&codeDisplay=%7B%7D\n").encode()),
        Fixture(
            "bitwarden json",
            "bitwarden",
            "bw.json",
            s.bitwarden_json([("A", "a", s.uri(s.TOTP)), ("S", "", "steam://" + s.STEAM.b32)]),
        ),
        Fixture(
            "bitwarden csv", "bitwarden", "bw.csv", s.bitwarden_csv([("A", "a", s.uri(s.TOTP))])
        ),
        Fixture("proton", "proton", "proton.json", s.proton([(s.uri(s.TOTP), "alice")])),
        Fixture(
            "authenticator plus",
            "authenticatorplus",
            "backup.zip",
            s.zipcrypto_zip("Accounts.txt", s.otpauth_list(s.ALL), s.PASSWORD),
            s.PASSWORD,
        ),
    )
