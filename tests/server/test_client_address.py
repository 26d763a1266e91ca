"""Who a request comes from: forwarding headers count only from trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.server.client_address import (
    ClientAddressError,
    TrustedProxies,
    TrustedProxyError,
    client_address,
    limit_key,
    parse_trusted_proxy,
)

PROXIES = TrustedProxies.parse(["10.0.0.0/8", "127.0.0.1", "fd00::/8"])


def xff(peer: str, *values: str, trusted: TrustedProxies = PROXIES) -> str:
    return client_address(peer, list(values), [], trusted)


def fwd(peer: str, *values: str, trusted: TrustedProxies = PROXIES) -> str:
    return client_address(peer, [], list(values), trusted)


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert xff("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert fwd("203.0.113.9", "for=198.51.100.1") == "203.0.113.9"
    assert xff("203.0.113.9", "garbage") == "203.0.113.9"
    assert client_address("127.0.0.1", ["198.51.100.1"], [], TrustedProxies()) == "127.0.0.1"


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client wrote "1.2.3.4" itself; the proxy appended the address it really saw.
    assert xff("127.0.0.1", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    assert xff("127.0.0.1", "1.2.3.4, 198.51.100.7, 10.1.2.3") == "198.51.100.7"
    assert xff("127.0.0.1", "1.2.3.4", "198.51.100.7") == "198.51.100.7"  # repeated headers
    assert xff("127.0.0.1", "198.51.100.7:4711") == "198.51.100.7"
    assert xff("127.0.0.1", "[2001:db8::1]:4711") == "2001:db8::1"
    assert xff("127.0.0.1", "2001:db8::1") == "2001:db8::1"
    assert xff("127.0.0.1", "::ffff:198.51.100.7") == "198.51.100.7"
    assert xff("127.0.0.1", "10.9.9.9, 10.1.1.1") == "10.9.9.9"  # all trusted: the left-most
    assert xff("127.0.0.1") == "127.0.0.1"  # a trusted peer that forwards nothing


def test_rfc_7239_forwarded() -> None:
    assert fwd("127.0.0.1", "for=192.0.2.60;proto=http;by=203.0.113.43") == "192.0.2.60"
    assert fwd("127.0.0.1", 'for="[2001:db8:cafe::17]:4711"') == "2001:db8:cafe::17"
    assert fwd("127.0.0.1", 'for=1.2.3.4, for="192.0.2.60:80";by=x') == "192.0.2.60"
    assert fwd("127.0.0.1", "For=192.0.2.60, for=10.0.0.5") == "192.0.2.60"
    assert fwd("127.0.0.1", 'for="_hidden"') == "127.0.0.1"  # no address: the reporter's
    assert fwd("127.0.0.1", "for=192.0.2.60, for=unknown, for=10.0.0.5") == "10.0.0.5"


@pytest.mark.parametrize(
    ("x_forwarded_for", "forwarded"),
    [
        (["bogus"], []),
        (["1.2.3.4, "], []),
        (["1.2.3.4,,5.6.7.8"], []),
        (["[2001:db8::1"], []),
        (["1.2.3.4:port"], []),
        (["fe80::1%eth0"], []),
        ([",".join(["10.0.0.1"] * 40)], []),
        ([], ["for=2001:db8::1"]),
        ([], ['for="[1.2.3.4]"']),
        ([], ['for="1.2.3.4']),
        ([], ["proto=https"]),
        ([], ["for=1.2.3.4;for=5.6.7.8"]),
        ([], ["for"]),
        (["1.2.3.4"], ["for=1.2.3.4"]),  # both: the proxy wrote one, the client the other
    ],
)
def test_unreadable_headers_from_a_trusted_proxy_are_refused(
    x_forwarded_for: list[str], forwarded: list[str]
) -> None:
    with pytest.raises(ClientAddressError):
        client_address("127.0.0.1", x_forwarded_for, forwarded, PROXIES)


def test_trusted_proxy_values() -> None:
    assert str(parse_trusted_proxy("10.1.2.3/8")) == "10.0.0.0/8"
    assert str(parse_trusted_proxy("::1")) == "::1/128"
    for bad in ("", "10.0.0.0/33", "proxy.example.com", "1.2.3"):
        with pytest.raises(TrustedProxyError):
            parse_trusted_proxy(bad)


def test_ipv6_clients_are_limited_per_64() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::2")
    assert limit_key("2001:db8:1:2::1") != limit_key("2001:db8:1:3::1")
    assert limit_key("198.51.100.7") == "198.51.100.7"


def plain(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


_header = st.one_of(
    st.text(max_size=60),
    st.text(
        alphabet=st.sampled_from(list('0123456789abcdef.:[]_,; ="\\forFORunknwn%-')), max_size=80
    ),
    st.lists(st.ip_addresses().map(str), max_size=4).map(", ".join),
)
_addresses = st.one_of(
    st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str), st.sampled_from(["127.0.0.1"])
)


@given(_addresses, st.lists(_header, max_size=3), st.lists(_header, max_size=3))
def test_any_header_gives_an_address_or_the_specific_error(
    peer: str, x_forwarded_for: list[str], forwarded: list[str]
) -> None:
    try:
        found = client_address(peer, x_forwarded_for, forwarded, PROXIES)
    except ClientAddressError:
        assert PROXIES.trusts(peer)
        return
    ipaddress.ip_address(found)  # always a real address, never header text
    if not PROXIES.trusts(peer):
        assert found == plain(peer)


@given(st.lists(st.ip_addresses().map(str), min_size=1, max_size=10))
def test_a_chain_of_real_addresses_names_its_rightmost_untrusted_hop(chain: list[str]) -> None:
    found = client_address("127.0.0.1", [", ".join(chain)], [], PROXIES)
    untrusted = [hop for hop in chain if not PROXIES.trusts(hop)]
    assert found == plain(untrusted[-1] if untrusted else chain[0])
