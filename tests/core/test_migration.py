"""otpauth-migration:// URIs: Google Authenticator's exports, read and written."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.account import Account, Algorithm, OtpType
from app.core.errors import UriError
from app.core.migration import (
    BATCH_URI_CHARS,
    MAX_URI_CHARS,
    MigrationBatch,
    build_migration,
    migration_problem,
    parse_migration,
)
from app.core.protobuf import bytes_field, encode_varint, varint_field
from app.core.secret import encode_base32
from tests.conftest import INTEROP_MISSING, interop_dir, interop_expected

SECRET = b"Hello!\xde\xad\xbe\xef"


def migration_uri(payload: bytes, *, percent_encode: bool = True) -> str:
    data = base64.b64encode(payload).decode()
    return "otpauth-migration://offline?data=" + (quote(data, safe="") if percent_encode else data)


def otp_parameters(
    secret: bytes = SECRET,
    name: bytes = b"alice",
    issuer: bytes = b"ACME",
    algorithm: int = 1,
    digits: int = 1,
    otp_type: int = 2,
    counter: int | None = None,
) -> bytes:
    fields = [bytes_field(1, secret), bytes_field(2, name), bytes_field(3, issuer)]
    fields += [varint_field(4, algorithm), varint_field(5, digits), varint_field(6, otp_type)]
    if counter is not None:
        fields.append(varint_field(7, counter))
    return b"".join(fields)


def payload(*accounts: bytes, trailer: bytes = b"") -> bytes:
    return b"".join(bytes_field(1, account) for account in accounts) + trailer


def one_account(raw: bytes) -> Account:
    batch = parse_migration(migration_uri(payload(raw)))
    assert len(batch.accounts) == 1
    return batch.accounts[0]


# --- Google's own exports ---------------------------------------------------------------


def _google(name: str) -> Path:
    """A file of Google Authenticator's exports in the interop data (skips when absent)."""
    return interop_dir() / "googleauth" / name


def _migration_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith("otpauth-migration:")]


def _expected_files() -> list[str]:
    """At collection time: [] without the data (the tests using it then skip or fail)."""
    expected = interop_expected()
    return sorted(key for key in expected if key.startswith("googleauth/") and key.endswith(".txt"))


def test_every_google_sample_file_is_covered() -> None:
    folder = interop_dir() / "googleauth"
    files = sorted(f"googleauth/{path.name}" for path in folder.glob("*.txt"))
    assert files == _expected_files()
    assert len(files) == 5


@pytest.mark.parametrize("path", _expected_files() or [INTEROP_MISSING])
def test_google_samples_match_expected(path: str) -> None:
    folder = interop_dir()
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))[path]
    lines = _migration_lines(folder / path)
    decoded: list[tuple[int, MigrationBatch, Account]] = []
    for number, line in enumerate(lines):
        batch = parse_migration(line)
        decoded += [(number, batch, account) for account in batch.accounts]
    assert len(decoded) == len(expected["entries"])
    for (number, batch, account), entry in zip(decoded, expected["entries"], strict=True):
        hotp = account.type is OtpType.HOTP
        assert encode_base32(account.secret) == entry["secret"]
        assert account.issuer == entry["issuer"]
        # Our choice: the "issuer:" prefix Google repeats in the name is removed.
        assert account.name == entry.get("name_without_issuer_prefix", entry["name"])
        assert account.type.value == entry["type"]
        assert account.algorithm.value == entry["algorithm"]
        assert account.digits == entry["digits"]
        assert (None if hotp else account.period) == entry["period"]
        assert (account.counter if hotp else None) == entry["counter"]
        meta = entry["payload_meta"]
        assert number == entry["migration_line"]
        assert batch.version == (meta["version"] or 0)
        assert batch.batch_size == (meta["batch_size"] or 1)
        assert batch.batch_index == (meta["batch_index"] or 0)
        assert batch.batch_id == (meta["batch_id"] or 0)


def test_three_batches_of_one_export_share_their_id() -> None:
    batches = [
        parse_migration(line) for line in _migration_lines(_google("callahan_batch_3_of_3.txt"))
    ]
    assert [b.batch_index for b in batches] == [0, 1, 2]
    assert {b.batch_size for b in batches} == {3}
    assert {b.batch_id for b in batches} == {251676888}
    assert [len(b.accounts) for b in batches] == [10, 10, 2]


def test_literal_plus_and_slash_are_base64_not_spaces() -> None:
    (line,) = _migration_lines(_google("test_plus_problem_export.txt"))
    assert "+" in line
    assert "/" in line
    batch = parse_migration(line)
    assert [a.name for a in batch.accounts] == [f"test{i}@serenitylabs.co.uk" for i in range(1, 5)]


def test_negative_batch_id_from_a_ten_byte_varint() -> None:
    line = _migration_lines(_google("example_export.txt"))[0]
    assert parse_migration(line).batch_id == -1320898453


def test_minimal_payload_without_padding_gets_defaults() -> None:
    (line,) = _migration_lines(_google("dim13_convert_test.txt"))
    assert not line.endswith("=")
    batch = parse_migration(line)
    account = batch.accounts[0]
    assert (account.algorithm, account.digits, account.period) == (Algorithm.SHA1, 6, 30)
    assert (batch.batch_index, batch.batch_size, batch.batch_id, batch.version) == (0, 1, 0, 0)


@pytest.mark.parametrize("number", range(5))
def test_build_is_byte_for_byte_what_google_writes(number: int) -> None:
    line = _migration_lines(_google("example_export.txt"))[number]
    batch = parse_migration(line)
    assert build_migration(batch.accounts, batch_id=batch.batch_id) == [line]


# --- the name and issuer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "issuer", "expected"),
    [
        (b"ACME:alice", b"ACME", "alice"),
        (b"ACME: alice", b"ACME", "alice"),
        (b"acme:alice", b"ACME", "alice"),
        (b"Other:alice", b"ACME", "Other:alice"),
        (b"alice", b"ACME", "alice"),
        (b"Corp: EU:alice", b"Corp: EU", "alice"),
        (b"ACME:", b"ACME", ""),
        (b"Site:alice", b"", "Site:alice"),  # no issuer: the name is kept whole
    ],
)
def test_issuer_prefix_in_name(name: bytes, issuer: bytes, expected: str) -> None:
    account = one_account(otp_parameters(name=name, issuer=issuer))
    assert account.name == expected
    assert account.issuer == issuer.decode()


def test_utf8_name() -> None:
    account = one_account(otp_parameters(name="Jürgen 日本".encode(), issuer=b""))
    assert account.name == "Jürgen 日本"


def test_invalid_utf8_in_a_name_is_replaced_not_fatal() -> None:
    account = one_account(otp_parameters(name=b"al\xffice"))
    assert account.name == "al\ufffdice"


# --- enums ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "algorithm"),
    [(0, Algorithm.SHA1), (1, Algorithm.SHA1), (2, Algorithm.SHA256), (3, Algorithm.SHA512)],
)
def test_algorithm_enum(code: int, algorithm: Algorithm) -> None:
    assert one_account(otp_parameters(algorithm=code)).algorithm is algorithm


@pytest.mark.parametrize(("code", "digits"), [(0, 6), (1, 6), (2, 8)])
def test_digits_enum(code: int, digits: int) -> None:
    assert one_account(otp_parameters(digits=code)).digits == digits


@pytest.mark.parametrize(
    ("code", "otp_type"), [(0, OtpType.TOTP), (1, OtpType.HOTP), (2, OtpType.TOTP)]
)
def test_type_enum(code: int, otp_type: OtpType) -> None:
    assert one_account(otp_parameters(otp_type=code)).type is otp_type


def test_hotp_counter() -> None:
    account = one_account(otp_parameters(otp_type=1, counter=2**40))
    assert account.counter == 2**40


def test_counter_on_totp_is_ignored() -> None:
    assert one_account(otp_parameters(otp_type=2, counter=99)).counter == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (otp_parameters(algorithm=4), "unknown algorithm MD5"),
        (otp_parameters(algorithm=5), "unknown algorithm value 5"),
        (otp_parameters(algorithm=-1), "unknown algorithm value -1"),
        (otp_parameters(digits=3), "unknown digits value 3"),
        (otp_parameters(otp_type=3), "unknown OTP type value 3"),
        (otp_parameters(secret=b""), "secret is missing"),
        (otp_parameters(otp_type=1, counter=-1), "counter must be"),
        (otp_parameters(secret=bytes(2000)), "secret is longer than"),
    ],
)
def test_unusable_account_fails_the_payload(raw: bytes, message: str) -> None:
    uri = migration_uri(payload(otp_parameters(), raw))
    with pytest.raises(UriError, match=message) as caught:
        parse_migration(uri)
    assert "account 2 of 2" in str(caught.value)


# --- URI and base64 ---------------------------------------------------------------------


def test_unpercent_encoded_data_is_read() -> None:
    data = payload(otp_parameters(secret=b"\xfb\xff\xbf" * 4))
    assert parse_migration(migration_uri(data, percent_encode=False)).accounts[0].secret == (
        b"\xfb\xff\xbf" * 4
    )


def test_url_safe_base64_and_a_space_for_plus_are_read() -> None:
    secret = bytes(range(256))  # base64 of every byte value has '+' and '/' characters
    prefix, data = migration_uri(
        payload(otp_parameters(secret=secret)), percent_encode=False
    ).split("data=")
    assert "+" in data
    assert "/" in data
    for variant in (data.replace("+", "-").replace("/", "_"), data.replace("+", " ")):
        assert parse_migration(f"{prefix}data={variant}").accounts[0].secret == secret


def test_scheme_and_host_are_case_insensitive() -> None:
    uri = migration_uri(payload(otp_parameters()))
    assert parse_migration(
        uri.replace("otpauth-migration://offline", "OTPAUTH-MIGRATION://Offline")
    )


def test_empty_payload_is_an_empty_batch() -> None:
    batch = parse_migration(
        "otpauth-migration://offline?data=" + base64.b64encode(varint_field(2, 1)).decode()
    )
    assert batch.accounts == []


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "not an otpauth-migration:// URI"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "not an otpauth-migration:// URI"),
        ("otpauth-migration://online?data=AAAA", "not an otpauth-migration://offline URI"),
        ("otpauth-migration://offline", "data is missing"),
        ("otpauth-migration://offline?data=", "data is missing"),
        ("otpauth-migration://offline?data=AAAA&data=AAAA", "more than once"),
        ("otpauth-migration://offline?data=AB*D", "not valid base64"),
        ("otpauth-migration://offline?data=ABCDE", "not valid base64"),
        ("otpauth-migration://offline?data=%C3%A9", "not valid base64"),
    ],
)
def test_bad_uri(uri: str, message: str) -> None:
    with pytest.raises(UriError, match=message):
        parse_migration(uri)


# --- the wire format --------------------------------------------------------------------


def test_unknown_fields_of_every_wire_type_are_skipped() -> None:
    unknown = (
        varint_field(8, 123456789)  # unique_id in some third-party .proto files
        + encode_varint(9 << 3 | 1) + bytes(8)  # fixed64
        + encode_varint(10 << 3 | 5) + bytes(4)  # fixed32
        + bytes_field(11, b"whatever")
        + encode_varint(12 << 3 | 3) + varint_field(1, 5) + encode_varint(12 << 3 | 4)  # group
    )  # fmt: skip
    batch = parse_migration(
        migration_uri(payload(otp_parameters() + unknown, trailer=unknown + varint_field(3, 2)))
    )
    assert batch.accounts[0].name == "alice"
    assert batch.batch_size == 2


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x0a", id="truncated length"),
        pytest.param(b"\x0a\x05abc", id="length past the end"),
        pytest.param(b"\x10\x80", id="truncated varint"),
        pytest.param(b"\x10" + b"\xff" * 10 + b"\x01", id="varint over 10 bytes"),
        pytest.param(b"\x08\x01", id="account as a varint"),
        pytest.param(b"\x12\x01x", id="version as bytes"),
        pytest.param(bytes_field(1, b"\x08\x01"), id="secret as a varint"),
        pytest.param(bytes_field(1, b"\x22\x01x"), id="algorithm as bytes"),
        pytest.param(b"\x0e", id="wire type 6"),
        pytest.param(b"\x0f", id="wire type 7"),
        pytest.param(b"\x00\x01", id="field number 0"),
        pytest.param(b"\x09\x00\x00", id="fixed64 cut off"),
        pytest.param(b"\x6b", id="group without end"),
        pytest.param(b"\x6c", id="end of group never started"),
        pytest.param(b"\x6b\x74", id="group ends with wrong number"),
        pytest.param(b"\x6b" * 40 + b"\x6c" * 40, id="groups nested too deeply"),
    ],
)
def test_malformed_protobuf_is_an_error(data: bytes) -> None:
    with pytest.raises(UriError, match="damaged"):
        parse_migration(migration_uri(data))


@pytest.mark.parametrize(
    ("trailer", "message"),
    [
        (varint_field(3, 2) + varint_field(4, 2), r"QR 3 of 2"),
        (varint_field(3, 2) + varint_field(4, -1), r"QR 0 of 2"),
        (varint_field(3, -2), r"of -2"),
    ],
)
def test_impossible_batch_position(trailer: bytes, message: str) -> None:
    with pytest.raises(UriError, match=message):
        parse_migration(migration_uri(payload(otp_parameters(), trailer=trailer)))


# --- building ---------------------------------------------------------------------------


def _some_accounts(count: int) -> list[Account]:
    return [
        Account(secret=bytes([i]) * 10, issuer="ACME", name=f"user{i}@example.com")
        for i in range(count)
    ]


def _otp_fields(account: Account) -> tuple[object, ...]:
    return (
        account.secret,
        account.type,
        account.issuer,
        account.name,
        account.algorithm,
        account.digits,
        account.period,
        account.counter,
    )


def test_three_batch_round_trip() -> None:
    accounts = _some_accounts(25)
    uris = build_migration(accounts, batch_id=-12345)
    assert len(uris) == 3
    batches = [parse_migration(uri) for uri in uris]
    assert [b.batch_index for b in batches] == [0, 1, 2]
    assert {(b.batch_size, b.batch_id, b.version) for b in batches} == {(3, -12345, 1)}
    assert [len(b.accounts) for b in batches] == [10, 10, 5]
    read = [account for batch in batches for account in batch.accounts]
    assert [_otp_fields(a) for a in read] == [_otp_fields(a) for a in accounts]


def test_google_writes_the_issuer_prefix_only_when_needed() -> None:
    account = Account(secret=SECRET, issuer="ACME", name="ACME:legacy")
    (uri,) = build_migration([account])
    assert parse_migration(uri).accounts[0].name == "ACME:legacy"


def test_no_accounts_give_no_uris() -> None:
    assert build_migration([]) == []


def test_random_batch_id_is_shared_by_all_batches() -> None:
    batches = [parse_migration(uri) for uri in build_migration(_some_accounts(12), per_batch=5)]
    assert len({b.batch_id for b in batches}) == 1
    assert [b.batch_size for b in batches] == [3, 3, 3]


def test_large_accounts_make_smaller_batches_that_fit_a_qr_code() -> None:
    accounts = [
        Account(secret=bytes([i]) * 64, issuer="I" * 100, name=f"{i}" + "n" * 100)
        for i in range(10)
    ]
    uris = build_migration(accounts)
    assert len(uris) > 1
    assert all(len(uri) <= BATCH_URI_CHARS for uri in uris)
    read = [a for uri in uris for a in parse_migration(uri).accounts]
    assert [a.secret for a in read] == [a.secret for a in accounts]


@pytest.mark.parametrize(
    ("account", "problem"),
    [
        (Account(secret=SECRET, type=OtpType.STEAM), "no Steam"),
        (Account(secret=SECRET, period=60), "30-second"),
        (Account(secret=SECRET, digits=7), "6 or 8 digits"),
        (Account(secret=SECRET, digits=10, type=OtpType.HOTP), "6 or 8 digits"),
        (Account(secret=SECRET, type=OtpType.HOTP, counter=2**63), "counter is too large"),
        (Account(secret=SECRET, name="n" * MAX_URI_CHARS), "too long for one QR code"),
    ],
)
def test_accounts_google_cannot_hold(account: Account, problem: str) -> None:
    assert problem in (migration_problem(account) or "")
    with pytest.raises(UriError, match=problem):
        build_migration([Account(secret=SECRET), account])


@pytest.mark.parametrize(
    "account",
    [
        Account(secret=SECRET),
        Account(secret=SECRET, digits=8, algorithm=Algorithm.SHA512),
        Account(secret=SECRET, type=OtpType.HOTP, period=60, counter=2**63 - 1),
    ],
)
def test_accounts_google_can_hold(account: Account) -> None:
    assert migration_problem(account) is None


def test_bad_build_arguments() -> None:
    with pytest.raises(ValueError, match="per_batch"):
        build_migration(_some_accounts(1), per_batch=0)
    with pytest.raises(ValueError, match="batch_id"):
        build_migration(_some_accounts(1), batch_id=2**31)


# --- properties -------------------------------------------------------------------------


def _outcome(text: str) -> MigrationBatch | UriError:
    """The batch, or the UriError; any other exception fails the test."""
    try:
        return parse_migration(text)
    except UriError as error:
        return error


@settings(max_examples=300)
@given(
    st.text()
    | st.builds(lambda s: "otpauth-migration://offline?data=" + s, st.text())
    | st.builds(migration_uri, st.binary(max_size=200))
)
def test_any_text_gives_a_batch_or_uri_error(text: str) -> None:
    result = _outcome(text)
    if isinstance(result, UriError):
        assert str(result)
    else:
        assert isinstance(result, MigrationBatch)
        assert 0 <= result.batch_index < result.batch_size


_FIELD_NUMBERS = st.integers(1, 12)


@st.composite
def _account_like(draw: st.DrawFn) -> bytes:
    """OtpParameters with any enum values, sometimes missing or extra fields."""
    return otp_parameters(
        secret=draw(st.binary(max_size=24)),
        name=draw(st.binary(max_size=12)),
        issuer=draw(st.sampled_from([b"", b"ACME", b"A:b"])),
        algorithm=draw(st.integers(-1, 5)),
        digits=draw(st.integers(-1, 4)),
        otp_type=draw(st.integers(-1, 4)),
        counter=draw(st.none() | st.integers(-(2**63), 2**64 - 1)),
    ) + draw(st.sampled_from([b"", varint_field(8, 7), b"\x22\x00", b"\x38"]))


@st.composite
def _wire_like(draw: st.DrawFn, depth: int = 0) -> bytes:
    """Bytes that are mostly valid protobuf, so the parser gets past the first field."""
    out = b""
    for _ in range(draw(st.integers(0, 5))):
        number = draw(_FIELD_NUMBERS)
        kind = draw(st.sampled_from(["account", "account", "varint", "bytes", "nested", "garbage"]))
        if kind == "account":
            out += bytes_field(1, draw(_account_like()))
        elif kind == "varint":
            out += varint_field(number, draw(st.integers(-(2**63), 2**64 - 1)))
        elif kind == "bytes":
            out += bytes_field(number, draw(st.binary(max_size=20)))
        elif kind == "nested" and depth < 2:
            out += bytes_field(number, draw(_wire_like(depth + 1)))
        else:
            out += draw(st.binary(max_size=4))
    return out


@settings(max_examples=300)
@given(_wire_like())
def test_any_payload_gives_a_batch_or_uri_error(data: bytes) -> None:
    result = _outcome(migration_uri(data))
    if isinstance(result, UriError):
        assert str(result)
    else:
        assert all(account.secret for account in result.accounts)


_NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(list(":& ")), max_size=20
).map(str.strip)


@st.composite
def exportable_accounts(draw: st.DrawFn) -> Account:
    otp_type = draw(st.sampled_from([OtpType.TOTP, OtpType.HOTP]))
    return Account(
        secret=draw(st.binary(min_size=1, max_size=64)),
        type=otp_type,
        issuer=draw(_NAMES),
        name=draw(_NAMES),
        algorithm=draw(st.sampled_from(Algorithm)),
        digits=draw(st.sampled_from([6, 8])),
        counter=draw(st.integers(0, 2**63 - 1)) if otp_type is OtpType.HOTP else 0,
    )


@settings(max_examples=100)
@given(st.lists(exportable_accounts(), max_size=25), st.integers(1, 12))
def test_build_parse_round_trip(accounts: list[Account], per_batch: int) -> None:
    uris = build_migration(accounts, per_batch=per_batch)
    batches = [parse_migration(uri) for uri in uris]
    assert [b.batch_index for b in batches] == list(range(len(uris)))
    assert all(b.batch_size == len(uris) for b in batches)
    assert all(len(b.accounts) <= per_batch for b in batches)
    read = [account for batch in batches for account in batch.accounts]
    assert [_otp_fields(a) for a in read] == [_otp_fields(a) for a in accounts]
