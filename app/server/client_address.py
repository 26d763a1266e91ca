"""Who a request comes from, when reverse proxies stand in between.

Behind a proxy every connection comes from the proxy, so the per-address limits would become
one limit for everybody. The proxy says who its client was in `X-Forwarded-For` or
`Forwarded` (RFC 7239), but anybody can send those headers: they are read only when the
connection comes from a configured trusted proxy, and then from the right, because each
proxy appends the address it saw. The first address that is not itself a trusted proxy is
the client; anything left of it was written by the client and is ignored.

Pure functions over strings, so hypothesis can feed them any header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from app.server.errors import ServerError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# How many hops a header may list: more is a client padding it, not a real proxy chain.
MAX_HOPS: Final = 32
# One IPv6 host usually owns a whole /64: counting per address would let it pick a fresh one
# for every request.
IPV6_LIMIT_PREFIX: Final = 64

_PORT = re.compile(r"[0-9]{1,5}")
# RFC 7239 section 6: "unknown" and obfuscated identifiers ("_" + letters, digits . _ -).
_OBFUSCATED = re.compile(r"_[A-Za-z0-9._-]+")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ClientAddressError(ServerError):
    """A trusted proxy's forwarding header cannot be read (the request is refused)."""


class TrustedProxyError(ServerError, ValueError):
    """A `--trusted-proxy` value is not an address or CIDR range."""


def parse_trusted_proxy(text: str) -> IPNetwork:
    """One `--trusted-proxy` value: `10.0.0.0/8`, `192.0.2.7`, `::1`, `fd00::/8`."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise TrustedProxyError(
            f"not an address or CIDR range: {text[:60]!r} (like 10.0.0.0/8 or 127.0.0.1)"
        ) from exc


def _ip(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class TrustedProxies:
    """The `--trusted-proxy` ranges: whose forwarding headers count."""

    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, values: Iterable[str]) -> TrustedProxies:
        return cls(tuple(parse_trusted_proxy(value) for value in values))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str | IPAddress | None) -> bool:
        ip = _ip(address) if isinstance(address, str) else address
        if ip is None:
            return False
        return any(ip.version == net.version and ip in net for net in self.networks)


def _xff_node(text: str) -> IPAddress:
    """One X-Forwarded-For entry: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]:80`."""
    node = text.strip()
    if node.startswith("["):
        inner, sep, rest = node[1:].partition("]")
        if not sep or (rest and not (rest[0] == ":" and _PORT.fullmatch(rest[1:]))):
            raise ClientAddressError("X-Forwarded-For has a malformed bracketed address.")
        node = inner
    elif node.count(":") == 1:
        host, _, port = node.partition(":")
        if _PORT.fullmatch(port) is None:
            raise ClientAddressError("X-Forwarded-For has a malformed address:port.")
        node = host
    address = _ip(node)
    if address is None:
        raise ClientAddressError("X-Forwarded-For holds something that is not an IP address.")
    return address


def _forwarded_for(element: str) -> str | None:
    """The `for=` value of one RFC 7239 element (pairs split by `;`), unquoted; None if absent."""
    found: str | None = None
    for pair in _split_quoted(element, ";"):
        if not pair.strip():
            continue
        name, eq, value = pair.strip().partition("=")
        if not eq or _TOKEN.fullmatch(name) is None:
            raise ClientAddressError("Forwarded has a parameter that is not name=value.")
        if value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                raise ClientAddressError("Forwarded has an unterminated quoted value.")
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif _TOKEN.fullmatch(value) is None:
            raise ClientAddressError("Forwarded has a value that must be quoted.")
        if name.lower() == "for":
            if found is not None:
                raise ClientAddressError("Forwarded repeats `for` in one element.")
            found = value
    return found


def _forwarded_node(value: str) -> IPAddress | None:
    """A `for=` node: an address (IPv6 in brackets, either with a port); None for `unknown`
    and obfuscated identifiers, which name no address."""
    if value.lower() == "unknown" or _OBFUSCATED.fullmatch(value):
        return None
    if value.startswith("["):
        inner, sep, rest = value[1:].partition("]")
        port_ok = not rest or (
            rest[0] == ":" and (_PORT.fullmatch(rest[1:]) or _OBFUSCATED.fullmatch(rest[1:]))
        )
        address = _ip(inner) if sep and port_ok else None
        if address is None or address.version != 6:
            raise ClientAddressError("Forwarded has a malformed IPv6 node.")
        return address
    host, colon, port = value.partition(":")
    if colon and not (_PORT.fullmatch(port) or _OBFUSCATED.fullmatch(port)):
        raise ClientAddressError("Forwarded has a malformed node port.")
    address = _ip(host)
    if address is None or address.version != 4:
        raise ClientAddressError("Forwarded has a `for` that is not an address.")
    return address


def _split_quoted(text: str, separator: str) -> list[str]:
    """Split at `separator` outside double quotes (a quoted string may hold one)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise ClientAddressError("Forwarded has an unterminated quoted value.")
    parts.append("".join(current))
    return parts


def _hops(values: Sequence[str], parse_node: bool) -> list[IPAddress | None]:
    """The addresses one header lists, left (the client's end) to right (ours)."""
    joined = ",".join(values)
    elements = _split_quoted(joined, ",") if parse_node else joined.split(",")
    if len(elements) > MAX_HOPS:
        raise ClientAddressError(f"The forwarding header lists more than {MAX_HOPS} hops.")
    hops: list[IPAddress | None] = []
    for element in elements:
        if not element.strip():
            raise ClientAddressError("The forwarding header has an empty entry.")
        if parse_node:
            node = _forwarded_for(element)
            if node is None:
                raise ClientAddressError("A Forwarded element has no `for`.")
            hops.append(_forwarded_node(node))
        else:
            hops.append(_xff_node(element))
    return hops


def client_address(
    peer: str | None,
    x_forwarded_for: Sequence[str],
    forwarded: Sequence[str],
    trusted: TrustedProxies,
) -> str:
    """The client's address: the peer's, or the one a trusted peer's header reports.

    `x_forwarded_for` and `forwarded` are every value of those headers, in order. Headers
    from an untrusted peer are not even read. From a trusted peer: a header with no usable
    reading, or both headers at once (the proxy wrote one and the client the other: which?),
    raise ClientAddressError. The answer is the right-most hop that is not a trusted proxy;
    when every hop is trusted, the left-most; an `unknown` or obfuscated hop stands for
    "whoever the trusted hop to its right saw", so that hop's address is the answer.
    """
    peer_ip = _ip(peer) if peer else None
    if peer_ip is None:
        return peer or "unknown"
    if not trusted.trusts(peer_ip):
        return str(peer_ip)
    if x_forwarded_for and forwarded:
        raise ClientAddressError(
            "The request carries both X-Forwarded-For and Forwarded; a proxy sets one of them."
        )
    if not x_forwarded_for and not forwarded:
        return str(peer_ip)
    hops = _hops(forwarded, True) if forwarded else _hops(x_forwarded_for, False)
    reporter: IPAddress = peer_ip
    for hop in reversed(hops):
        if hop is None:
            return str(reporter)
        if not trusted.trusts(hop):
            return str(hop)
        reporter = hop
    return str(reporter)


def limit_key(address: str) -> str:
    """The key per-address limits count under: the address, or its /64 for IPv6."""
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network((ip, IPV6_LIMIT_PREFIX), strict=False)
        return str(network)
    return str(ip) if ip is not None else address
