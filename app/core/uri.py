"""otpauth:// key URIs (Google's Key Uri Format), to and from accounts.

`otpauth://TYPE/LABEL?secret=...&issuer=...&algorithm=...&digits=...&period=...&counter=...`

Reading is lenient where real apps differ and strict where a wrong guess gives wrong codes:

* TYPE is totp, hotp or steam in any case; `encoder=steam` also makes a Steam account.
* LABEL is `Issuer:Name` or `Name`. The separator is the first `:` or `%3A` of the raw label,
  found before the parts are unquoted, so an escaped colon before it cannot hide. Each part
  is percent-decoded (a `+` in the label stays a plus) and stripped of surrounding spaces.
  A non-empty `issuer` parameter wins over the label prefix.
* In the query, `+` is a space (form encoding). Secrets may be lower case, padded or spaced.
* Parameter names are case-insensitive; unknown parameters (Ente's `codeDisplay`, `image`,
  ...) are ignored; a known parameter given twice is an error (which one the sender meant
  is a guess). `#` is not a fragment marker: authenticator URIs carry none, and a raw `#` in
  a label is more likely than a fragment.
* Defaults are SHA1, 6 digits, 30 s. HOTP without `counter` starts at 0 (what the issuer's
  counter starts at when it forgot to say). `period` on HOTP, `counter` on TOTP/Steam, and
  digits/algorithm on Steam (always 5 characters, SHA1) are ignored.

Messages name the wrong part and never echo the secret or the URI.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, unquote_plus

from app.core.account import MAX_DIGITS, MAX_PERIOD, MIN_DIGITS, Account, Algorithm, OtpType
from app.core.errors import AccountError, UriError
from app.core.secret import decode_base32, encode_base32

SCHEME = "otpauth://"
_KNOWN_PARAMETERS = frozenset(
    {"secret", "issuer", "algorithm", "digits", "period", "counter", "encoder"}
)
_SEPARATOR = re.compile(r":|%3A", re.IGNORECASE)
_NUMBER = re.compile(r"[0-9]{1,20}")
# A value is echoed in a message only when it is short and plain, so a secret pasted into
# the wrong place can never show up in an error.
_SHOWABLE = re.compile(r"[A-Za-z0-9\-]{1,12}")


def _shown(value: str) -> str:
    return f" '{value}'" if _SHOWABLE.fullmatch(value) else ""


def _query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for piece in query.split("&"):
        if not piece:
            continue
        raw_key, _, raw_value = piece.partition("=")
        key = unquote_plus(raw_key).strip().lower()
        if key not in _KNOWN_PARAMETERS:
            continue
        if key in params:
            raise UriError(f"the parameter {key} appears more than once")
        params[key] = unquote_plus(raw_value).strip()
    return params


def _otp_type(type_text: str, params: dict[str, str]) -> OtpType:
    try:
        otp_type = OtpType(type_text.lower())
    except ValueError:
        raise UriError(
            f"unknown OTP type{_shown(type_text)} (otpauth://totp, hotp or steam)"
        ) from None
    encoder = params.get("encoder", "")
    if encoder.lower() == "steam":
        return OtpType.STEAM
    if encoder:
        raise UriError(f"unknown encoder{_shown(encoder)} (only encoder=steam is known)")
    return otp_type


def _split_label(raw_label: str) -> tuple[str, str]:
    separator = _SEPARATOR.search(raw_label)
    if separator is None:
        return "", unquote(raw_label).strip()
    prefix, name = raw_label[: separator.start()], raw_label[separator.end() :]
    return unquote(prefix).strip(), unquote(name).strip()


def _algorithm(text: str) -> Algorithm:
    try:
        return Algorithm(text.upper().replace("-", ""))
    except ValueError:
        raise UriError(f"unknown algorithm{_shown(text)} (SHA1, SHA256 or SHA512)") from None


def _number(text: str, message: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise UriError(message)
    return int(text)


def parse_otpauth(uri: str) -> Account:
    """The account an otpauth:// URI describes; raises UriError naming what is wrong."""
    text = uri.strip()
    if text[: len(SCHEME)].lower() != SCHEME:
        raise UriError("not an otpauth:// URI")
    head, _, query = text[len(SCHEME) :].partition("?")
    type_text, _, raw_label = head.partition("/")
    params = _query(query)
    otp_type = _otp_type(type_text, params)
    label_issuer, name = _split_label(raw_label)
    issuer = params.get("issuer") or label_issuer

    secret_text = params.get("secret", "")
    if not secret_text:
        raise UriError("secret is missing")
    try:
        secret = decode_base32(secret_text)
    except AccountError as error:
        raise UriError(str(error)) from None

    algorithm, digits, period, counter = Algorithm.SHA1, 6, 30, 0
    if otp_type is not OtpType.STEAM:
        algorithm = _algorithm(params.get("algorithm") or "SHA1")
        digits_message = f"digits must be {MIN_DIGITS}-{MAX_DIGITS}"
        digits = _number(params.get("digits") or "6", digits_message)
        if not MIN_DIGITS <= digits <= MAX_DIGITS:
            raise UriError(digits_message)
    if otp_type is OtpType.HOTP:
        counter = _number(
            params.get("counter") or "0", "counter must be a whole number from 0 to 2^64-1"
        )
    else:
        period = _number(params.get("period") or "30", f"period must be 1-{MAX_PERIOD} seconds")

    try:
        return Account(
            secret=secret,
            type=otp_type,
            issuer=issuer,
            name=name,
            algorithm=algorithm,
            digits=digits,
            period=period,
            counter=counter,
        )
    except AccountError as error:
        raise UriError(str(error)) from None


def _quote(text: str) -> str:
    # errors="replace": a lone surrogate (not encodable as UTF-8) becomes "?" instead of
    # failing the whole export.
    return quote(text, safe="", errors="replace")


def _label(account: Account) -> str:
    name = _quote(account.name)
    if account.issuer and ":" not in account.issuer:
        return f"{_quote(account.issuer)}:{name}"
    # No usable label prefix (an issuer with ':' travels in the issuer parameter alone).
    # A name with ':' then gets an empty prefix, so its own colon is not read as one.
    return f":{name}" if ":" in account.name else name


def build_otpauth(account: Account) -> str:
    """The canonical otpauth:// URI of `account`; `parse_otpauth` reads it back unchanged.

    Steam accounts use `otpauth://steam/` (what Aegis, Ente and Stratum write and read).
    Issuer and name lose surrounding spaces, which the reader strips.
    """
    type_text = account.type.value
    params = [("secret", encode_base32(account.secret))]
    if account.issuer:
        params.append(("issuer", account.issuer))
    params += [("algorithm", account.algorithm.value), ("digits", str(account.digits))]
    if account.type is OtpType.HOTP:
        params.append(("counter", str(account.counter)))
    else:
        params.append(("period", str(account.period)))
    query = "&".join(f"{key}={_quote(value)}" for key, value in params)
    return f"{SCHEME}{type_text}/{_label(account)}?{query}"
