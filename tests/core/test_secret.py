"""Base32 secrets as people type them and URIs carry them."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import AccountError
from app.core.secret import decode_base32, encode_base32

HELLO = b"Hello!\xde\xad\xbe\xef"


@pytest.mark.parametrize(
    "text",
    [
        "JBSWY3DPEHPK3PXP",
        "jbswy3dpehpk3pxp",
        "JbSwY3dPeHpK3pXp",
        "JBSW Y3DP EHPK 3PXP",
        "jbsw-y3dp-ehpk-3pxp",
        " JBSWY3DP\tEHPK3PXP\n",
        "JBSWY3DPEHPK3PXP====",
    ],
)
def test_lenient_forms(text: str) -> None:
    assert decode_base32(text) == HELLO


@pytest.mark.parametrize(("text", "raw"), [("MZXW6===", b"foo"), ("MZXW6", b"foo"), ("MY", b"f")])
def test_padding_is_optional(text: str, raw: bytes) -> None:
    assert decode_base32(text) == raw


@pytest.mark.parametrize("text", ["", "   ", "- -", "====", "  ==  "])
def test_empty(text: str) -> None:
    with pytest.raises(AccountError, match="secret is empty"):
        decode_base32(text)


@pytest.mark.parametrize(
    "text",
    [
        "JBSWY3DPEHPK3PX1",  # 1 is not base32
        "JBSWY3DPEHPK3PX8",
        "JBSW=Y3DPEHPK3PXP",  # padding inside
        "JBSWY3DPEHPK3PX!",
        "ßßßßßßßß",  # upper-cases to "SSSS..." which would look valid
        "\u017f" * 8,  # LATIN SMALL LETTER LONG S upper-cases to "S"
        "\uff2a\uff22\uff33\uff37\uff39\uff13\uff24\uff30",  # full-width "JBSWY3DP"
    ],
)
def test_invalid_characters(text: str) -> None:
    with pytest.raises(AccountError, match="secret is not valid base32") as caught:
        decode_base32(text)
    assert text not in str(caught.value)


@pytest.mark.parametrize("text", ["A", "ABC", "ABCDEF", "JBSWY3DPE"])
def test_impossible_lengths(text: str) -> None:
    with pytest.raises(AccountError, match="its length is impossible"):
        decode_base32(text)


def test_encode_is_upper_case_and_unpadded() -> None:
    assert encode_base32(HELLO) == "JBSWY3DPEHPK3PXP"
    assert encode_base32(b"foo") == "MZXW6"


@given(st.binary(min_size=1, max_size=200))
def test_round_trip(secret: bytes) -> None:
    encoded = encode_base32(secret)
    assert "=" not in encoded
    assert decode_base32(encoded) == secret
    assert decode_base32(encoded.lower()) == secret
    assert decode_base32(base64.b32encode(secret).decode()) == secret


@given(st.text(max_size=40))
def test_any_text_gives_bytes_or_account_error(text: str) -> None:
    try:
        result: bytes | AccountError = decode_base32(text)
    except AccountError as error:
        result = error
    if isinstance(result, bytes):
        assert result
        assert decode_base32(encode_base32(result)) == result
