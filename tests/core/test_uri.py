"""otpauth:// URIs: Google's Key Uri Format with the quirks real apps write."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.account import MAX_COUNTER, MAX_PERIOD, Account, Algorithm, OtpType
from app.core.errors import UriError
from app.core.secret import encode_base32
from app.core.uri import build_otpauth, parse_otpauth
from tests.conftest import interop_dir, interop_fields

SECRET = "JBSWY3DPEHPK3PXP"
SECRET_BYTES = b"Hello!\xde\xad\xbe\xef"


def uri(label: str = "ACME:alice", query: str = f"secret={SECRET}", kind: str = "totp") -> str:
    return f"otpauth://{kind}/{label}?{query}"


# --- the basics -------------------------------------------------------------------------


def test_full_uri_gives_every_field() -> None:
    account = parse_otpauth(
        "otpauth://totp/ACME%20Co:alice@example.com?secret=JBSWY3DPEHPK3PXP"
        "&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"
    )
    assert account.secret == SECRET_BYTES
    assert account.type is OtpType.TOTP
    assert (account.issuer, account.name) == ("ACME Co", "alice@example.com")
    assert (account.algorithm, account.digits, account.period) == (Algorithm.SHA256, 8, 60)


def test_defaults_are_sha1_six_digits_thirty_seconds() -> None:
    account = parse_otpauth(uri())
    assert (account.algorithm, account.digits, account.period) == (Algorithm.SHA1, 6, 30)


def test_hotp_reads_counter() -> None:
    account = parse_otpauth(uri(kind="hotp", query=f"secret={SECRET}&counter=42"))
    assert account.type is OtpType.HOTP
    assert account.counter == 42


def test_hotp_without_counter_starts_at_zero() -> None:
    account = parse_otpauth(uri(kind="hotp"))
    assert account.type is OtpType.HOTP
    assert account.counter == 0


def test_hotp_counter_can_be_the_largest_64_bit_value() -> None:
    account = parse_otpauth(uri(kind="hotp", query=f"secret={SECRET}&counter={MAX_COUNTER}"))
    assert account.counter == MAX_COUNTER


def test_period_on_hotp_is_ignored() -> None:
    account = parse_otpauth(uri(kind="hotp", query=f"secret={SECRET}&counter=3&period=abc"))
    assert account.counter == 3
    assert account.period == 30


def test_counter_on_totp_is_ignored() -> None:
    account = parse_otpauth(uri(query=f"secret={SECRET}&counter=-5"))
    assert account.type is OtpType.TOTP
    assert account.counter == 0


@pytest.mark.parametrize("kind", ["TOTP", "Totp", "totp"])
def test_type_is_case_insensitive(kind: str) -> None:
    assert parse_otpauth(uri(kind=kind)).type is OtpType.TOTP


def test_scheme_is_case_insensitive_and_surrounding_whitespace_is_ignored() -> None:
    account = parse_otpauth(f"  OTPAUTH://TOTP/ACME:alice?secret={SECRET}\n")
    assert account.name == "alice"


# --- Steam ------------------------------------------------------------------------------


def test_steam_type_gives_a_steam_account() -> None:
    account = parse_otpauth(uri(kind="steam", query=f"secret={SECRET}&digits=5"))
    assert account.type is OtpType.STEAM
    assert account.digits == 5


def test_encoder_steam_gives_a_steam_account() -> None:
    account = parse_otpauth(uri(query=f"secret={SECRET}&encoder=steam&digits=5"))
    assert account.type is OtpType.STEAM
    assert (account.digits, account.algorithm) == (5, Algorithm.SHA1)


def test_steam_ignores_digits_and_algorithm() -> None:
    account = parse_otpauth(uri(kind="steam", query=f"secret={SECRET}&digits=2&algorithm=MD5"))
    assert (account.digits, account.algorithm) == (5, Algorithm.SHA1)


def test_steam_keeps_its_period() -> None:
    assert parse_otpauth(uri(kind="steam", query=f"secret={SECRET}&period=60")).period == 60


def test_unknown_encoder_is_an_error_not_a_silent_totp() -> None:
    with pytest.raises(UriError, match="unknown encoder 'yandex'"):
        parse_otpauth(uri(query=f"secret={SECRET}&encoder=yandex"))


# --- the label --------------------------------------------------------------------------


def test_label_without_issuer_is_the_name() -> None:
    account = parse_otpauth(uri(label="alice@example.com"))
    assert (account.issuer, account.name) == ("", "alice@example.com")


def test_encoded_colon_separates_issuer_and_name() -> None:
    account = parse_otpauth(uri(label="ACME%3aalice"))
    assert (account.issuer, account.name) == ("ACME", "alice")


def test_separator_is_the_first_colon_before_unquoting() -> None:
    # The name keeps its own colon; the first separator (raw or %3A) wins.
    account = parse_otpauth(uri(label="ACME%3Aalice:work"))
    assert (account.issuer, account.name) == ("ACME", "alice:work")
    account = parse_otpauth(uri(label="ACME:alice%3Awork"))
    assert (account.issuer, account.name) == ("ACME", "alice:work")


def test_escaped_percent_before_3a_is_not_a_separator() -> None:
    # "%253A" is an escaped "%" followed by "3A": text, not a colon.
    account = parse_otpauth(uri(label="50%253Aoff"))
    assert (account.issuer, account.name) == ("", "50%3Aoff")


def test_spaces_around_label_parts_are_stripped() -> None:
    account = parse_otpauth(uri(label="ACME%20:%20%20alice%20"))
    assert (account.issuer, account.name) == ("ACME", "alice")


def test_plus_in_label_stays_a_plus() -> None:
    account = parse_otpauth(uri(label="ACME:alice+tag@example.com"))
    assert account.name == "alice+tag@example.com"


def test_unicode_label() -> None:
    account = parse_otpauth(uri(label="%E6%97%A5%E6%9C%AC:J%C3%BCrgen"))
    assert (account.issuer, account.name) == ("日本", "Jürgen")


def test_issuer_parameter_wins_over_label_prefix() -> None:
    account = parse_otpauth(uri(query=f"secret={SECRET}&issuer=ACME%20Corp"))
    assert (account.issuer, account.name) == ("ACME Corp", "alice")


def test_empty_issuer_parameter_keeps_label_prefix() -> None:
    account = parse_otpauth(uri(query=f"secret={SECRET}&issuer="))
    assert account.issuer == "ACME"


def test_plus_in_issuer_parameter_is_a_space() -> None:
    account = parse_otpauth(uri(label="alice", query=f"secret={SECRET}&issuer=Air+Canada"))
    assert account.issuer == "Air Canada"


def test_empty_label_gives_an_unnamed_account() -> None:
    account = parse_otpauth(f"otpauth://totp/?secret={SECRET}")
    assert (account.issuer, account.name) == ("", "")
    assert parse_otpauth(f"otpauth://totp?secret={SECRET}").name == ""


def test_hash_in_label_is_not_a_fragment() -> None:
    account = parse_otpauth(uri(label="ACME:alice#2"))
    assert account.name == "alice#2"
    assert account.secret == SECRET_BYTES


# --- the secret -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "jbswy3dpehpk3pxp",
        "JBSWY3DPEHPK3PXP",
        "JBSWY3DPEHPK3PXP====",  # 16 characters need no padding, but some apps add it
        "JBSW%20Y3DP%20EHPK%203PXP",
        "JBSW+Y3DP+EHPK+3PXP",
        "jbsw-y3dp-ehpk-3pxp",
    ],
)
def test_secret_leniency(secret: str) -> None:
    assert parse_otpauth(uri(query=f"secret={secret}")).secret == SECRET_BYTES


def test_padded_secret_of_odd_length() -> None:
    account = parse_otpauth(uri(query="secret=MZXW6===", label="x"))
    assert account.secret == b"foo"


@pytest.mark.parametrize("query", ["issuer=ACME", "secret=", "secret=%20%20", "Secret"])
def test_missing_secret(query: str) -> None:
    with pytest.raises(UriError, match="secret is missing"):
        parse_otpauth(uri(query=query))


@pytest.mark.parametrize(
    "secret", ["JBSWY3DPEHPK3PX1", "JBSWY3DPEHPK3PXPA", "JBSW=Y3DP", "ßßßßßßßß"]
)
def test_invalid_secret(secret: str) -> None:
    with pytest.raises(UriError, match="secret is not valid base32") as caught:
        parse_otpauth(uri(query=f"secret={secret}"))
    assert secret not in str(caught.value)


def test_oversized_secret_is_refused() -> None:
    with pytest.raises(UriError, match="secret is longer than"):
        parse_otpauth(uri(query="secret=" + "A" * 2000))


# --- parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "algorithm"),
    [("sha512", Algorithm.SHA512), ("Sha256", Algorithm.SHA256), ("SHA-256", Algorithm.SHA256)],
)
def test_algorithm_is_case_insensitive(text: str, algorithm: Algorithm) -> None:
    assert parse_otpauth(uri(query=f"secret={SECRET}&algorithm={text}")).algorithm is algorithm


@pytest.mark.parametrize("algorithm", ["MD5", "SHA3", "sha224"])
def test_unknown_algorithm(algorithm: str) -> None:
    with pytest.raises(UriError, match=f"unknown algorithm '{algorithm}'"):
        parse_otpauth(uri(query=f"secret={SECRET}&algorithm={algorithm}"))


@pytest.mark.parametrize("digits", [6, 7, 8, 9, 10])
def test_digits_in_range(digits: int) -> None:
    assert parse_otpauth(uri(query=f"secret={SECRET}&digits={digits}")).digits == digits


@pytest.mark.parametrize("digits", ["5", "11", "0", "-6", "six", "6.0", "%2B6", "\u0666"])
def test_digits_out_of_range(digits: str) -> None:
    with pytest.raises(UriError, match="digits must be 6-10"):
        parse_otpauth(uri(query=f"secret={SECRET}&digits={digits}"))


def test_empty_parameters_mean_the_defaults() -> None:
    account = parse_otpauth(uri(query=f"secret={SECRET}&digits=&period=&algorithm="))
    assert (account.algorithm, account.digits, account.period) == (Algorithm.SHA1, 6, 30)


@pytest.mark.parametrize("period", ["0", "-30", "abc", "30s", str(MAX_PERIOD + 1), "1e3"])
def test_bad_period(period: str) -> None:
    with pytest.raises(UriError, match="period must be"):
        parse_otpauth(uri(query=f"secret={SECRET}&period={period}"))


@pytest.mark.parametrize("counter", ["-1", "x", str(MAX_COUNTER + 1), "1.5"])
def test_bad_counter(counter: str) -> None:
    with pytest.raises(UriError, match="counter must be"):
        parse_otpauth(uri(kind="hotp", query=f"secret={SECRET}&counter={counter}"))


@pytest.mark.parametrize("kind", ["motp", "yandex", "", "hotp2"])
def test_unknown_type(kind: str) -> None:
    with pytest.raises(UriError, match="unknown OTP type"):
        parse_otpauth(uri(kind=kind))


@pytest.mark.parametrize(
    "text",
    ["", "http://totp/x?secret=JBSWY3DPEHPK3PXP", "otpauth:/totp/x", "otpauth-migration://x"],
)
def test_not_an_otpauth_uri(text: str) -> None:
    with pytest.raises(UriError, match="not an otpauth:// URI"):
        parse_otpauth(text)


def test_unknown_parameters_are_ignored() -> None:
    account = parse_otpauth(
        uri(query=f"image=https%3A%2F%2Fx%2Fy.png&secret={SECRET}&codeDisplay=%7B%7D&foo&=bar")
    )
    assert account.secret == SECRET_BYTES


def test_parameter_names_are_case_insensitive() -> None:
    account = parse_otpauth(uri(query=f"SECRET={SECRET}&Digits=8"))
    assert account.digits == 8


@pytest.mark.parametrize(
    "query",
    [
        f"secret={SECRET}&secret=GEZDGNBVGY3TQOJQ",
        f"secret={SECRET}&digits=6&digits=8",
        f"secret={SECRET}&issuer=A&Issuer=B",
    ],
)
def test_duplicate_known_parameter_is_an_error(query: str) -> None:
    with pytest.raises(UriError, match="appears more than once"):
        parse_otpauth(uri(query=query))


def test_duplicate_unknown_parameter_is_fine() -> None:
    assert parse_otpauth(uri(query=f"secret={SECRET}&image=a&image=b")).name == "alice"


def test_errors_never_carry_the_secret() -> None:
    secret = "KRUGS4ZANFZSA43FMNZGK5BAMRQXIYLU"  # 32 valid base32 characters
    for kind, query in (
        ("totp", f"secret={secret}1"),
        ("totp", f"secret={secret}Q"),  # an impossible length
        ("totp", f"secret={secret}&digits=99"),
        ("totp", f"secret={secret}&algorithm={secret}"),
        ("totp", f"secret={secret}&period={secret}"),
        ("hotp", f"secret={secret}&counter={secret}"),
        ("totp", f"secret={secret}&encoder={secret}"),
        ("totp", f"secret={secret}&secret={secret}"),
        (secret, f"secret={secret}"),
    ):
        with pytest.raises(UriError) as caught:
            parse_otpauth(uri(query=query, kind=kind))
        assert secret not in str(caught.value)
        assert "secret=" not in str(caught.value)


# --- building ---------------------------------------------------------------------------


def test_build_canonical_totp() -> None:
    account = Account(secret=SECRET_BYTES, issuer="ACME Co", name="alice@example.com")
    assert build_otpauth(account) == (
        "otpauth://totp/ACME%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXP"
        "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
    )


def test_build_hotp_carries_counter_not_period() -> None:
    account = Account(secret=SECRET_BYTES, type=OtpType.HOTP, name="bob", counter=7, period=60)
    assert build_otpauth(account) == (
        "otpauth://hotp/bob?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&counter=7"
    )


def test_build_steam_uses_steam_type() -> None:
    account = Account(secret=SECRET_BYTES, type=OtpType.STEAM, issuer="Steam", name="gabe")
    built = build_otpauth(account)
    assert built.startswith("otpauth://steam/Steam:gabe?")
    assert "digits=5" in built
    assert parse_otpauth(built).type is OtpType.STEAM


def test_issuer_with_colon_round_trips_through_the_issuer_parameter() -> None:
    account = Account(secret=SECRET_BYTES, issuer="Corp: EU", name="alice")
    built = build_otpauth(account)
    assert built.startswith("otpauth://totp/alice?")
    back = parse_otpauth(built)
    assert (back.issuer, back.name) == ("Corp: EU", "alice")


def test_name_with_colon_and_no_issuer_round_trips() -> None:
    account = Account(secret=SECRET_BYTES, name="encoding: demo")
    back = parse_otpauth(build_otpauth(account))
    assert (back.issuer, back.name) == ("", "encoding: demo")


def test_build_never_fails_on_text_that_is_not_utf8() -> None:
    account = Account(secret=SECRET_BYTES, issuer="A\ud800", name="b")
    assert parse_otpauth(build_otpauth(account)).issuer == "A?"


# --- other apps' files ------------------------------------------------------------------


def _expected(path: str) -> list[dict[str, object]]:
    expected = (interop_dir() / "expected.json").read_text(encoding="utf-8")
    entries: list[dict[str, object]] = json.loads(expected)[path]["entries"]
    return entries


@pytest.mark.parametrize("path", ["otpauth_uri/plain.txt", "ente/ente_auth.txt"])
def test_interop_files_match_expected(path: str) -> None:
    lines = (interop_dir() / path).read_text(encoding="utf-8").splitlines()
    accounts = [parse_otpauth(line) for line in lines if line.strip()]
    expected = _expected(path)
    assert len(accounts) == len(expected)
    by_secret = {entry["secret"]: entry for entry in expected}
    for account in accounts:
        entry = by_secret[encode_base32(account.secret)]
        assert interop_fields(account) == {key: entry[key] for key in interop_fields(account)}


def test_interop_uris_survive_build_and_parse() -> None:
    for line in (interop_dir() / "otpauth_uri/plain.txt").read_text().splitlines():
        account = parse_otpauth(line)
        assert interop_fields(parse_otpauth(build_otpauth(account))) == interop_fields(account)


# --- properties -------------------------------------------------------------------------

_KNOWN_KEYS = ["secret", "issuer", "algorithm", "digits", "period", "counter", "encoder", "x"]
_URI_TEXT = st.text(alphabet=st.sampled_from(list("aA2:%3a/?&=#+ -.é日\x00")), max_size=20)


@st.composite
def _otpauth_like(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["totp", "hotp", "steam", "HOTP", "motp", ""]))
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(_KNOWN_KEYS), _URI_TEXT | st.just(SECRET)), max_size=6)
    )
    query = "&".join(f"{key}={value}" for key, value in pairs)
    return f"otpauth://{kind}/{draw(_URI_TEXT)}?{query}"


@settings(max_examples=300)
@given(st.text() | _otpauth_like())
def test_any_text_gives_an_account_or_uri_error(text: str) -> None:
    try:
        result: Account | UriError = parse_otpauth(text)
    except UriError as error:
        result = error
    if isinstance(result, UriError):
        assert str(result)
    else:
        assert result.secret


_TRICKY = [":", "%", "%3A", "%3a", "%25", "&", "?", "#", "/", "+", "=", " ", "\t", "日", "é"]
_NAMES = st.lists(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from(_TRICKY), max_size=12
).map(lambda parts: "".join(parts).strip())


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    return Account(
        secret=draw(st.binary(min_size=1, max_size=80)),
        type=draw(st.sampled_from(OtpType)),
        issuer=draw(_NAMES),
        name=draw(_NAMES),
        algorithm=draw(st.sampled_from(Algorithm)),
        digits=draw(st.integers(6, 10)),
        period=draw(st.integers(1, MAX_PERIOD)),
        counter=draw(st.integers(0, MAX_COUNTER)),
    )


def _otp_fields(account: Account) -> tuple[object, ...]:
    counter = account.counter if account.type is OtpType.HOTP else None
    period = None if account.type is OtpType.HOTP else account.period
    return (
        account.type,
        account.issuer,
        account.name,
        account.secret,
        account.algorithm,
        account.digits,
        period,
        counter,
    )


@settings(max_examples=300)
@given(accounts())
def test_parse_build_round_trip(account: Account) -> None:
    assert _otp_fields(parse_otpauth(build_otpauth(account))) == _otp_fields(account)
