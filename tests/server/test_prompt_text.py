"""What a prompt shows (user, action, context) never carries control or bidi characters:
an RP that lets them through could make "Sign in from Paris" read as something else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.push.messages import CONTEXT_FIELDS
from app.push.session import ChallengeReceived
from app.server.errors import ApiError
from app.server.validation import parse_challenge_request
from tests.server.conftest import Env
from tests.server.helpers import enrolled_device

UNSAFE = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + [
    "\u061c",  # Arabic letter mark
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u202a",  # LRE
    "\u202b",  # RLE
    "\u202c",  # PDF
    "\u202d",  # LRO
    "\u202e",  # RLO
    "\u2066",  # LRI
    "\u2067",  # RLI
    "\u2068",  # FSI
    "\u2069",  # PDI
    "\ud800",  # a lone surrogate
]
_safe = st.text(
    alphabet=st.characters(blacklist_characters=UNSAFE, blacklist_categories=("Cs",)),
    max_size=60,
)


@st.composite
def with_unsafe(draw: st.DrawFn) -> str:
    before, after = draw(_safe), draw(_safe)
    return (before + draw(st.sampled_from(UNSAFE)) + after)[:200]


@given(with_unsafe(), st.sampled_from(["action", "user", *CONTEXT_FIELDS]))
def test_unsafe_text_anywhere_in_a_prompt_is_refused(text: str, where: str) -> None:
    body: dict[str, object] = {"user": "alice@example.com"}
    if where in CONTEXT_FIELDS:
        body["context"] = {where: text}
    else:
        body[where] = text
    with pytest.raises(ApiError) as refused:
        parse_challenge_request(body)
    assert refused.value.status == 400
    assert refused.value.code == "invalid_field"


@given(_safe.filter(lambda s: len(s) >= 1), _safe)
def test_safe_text_is_kept_as_sent(action: str, location: str) -> None:
    parsed = parse_challenge_request(
        {"user": "alice@example.com", "action": action, "context": {"location": location}}
    )
    assert parsed.action == action
    assert parsed.context == {"location": location}


@pytest.mark.asyncio
async def test_a_refused_prompt_reaches_no_device_and_holds_no_slot(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    overridden = "Sign in from \u202eegnahc drowssap\u202c"
    for body in (
        {"action": overridden},
        {"context": {"location": "Paris\u2066 (really: Moscow)\u2069"}},
        {"context": {"app": "Bank\r\nApproved already"}},
    ):
        reply = await env.rp.challenge("alice@example.com", **body)
        assert reply.status == 400, reply
        assert reply.body["error"] == "invalid_field"
    created = await env.rp.challenge("alice@example.com", action="Sign in (مرحبا)")
    assert created.status == 201  # nothing pending was left behind by the refusals
    received = await device.event(ChallengeReceived)
    assert received.challenge.id == created.body["id"]
    assert received.challenge.action == "Sign in (مرحبا)"
