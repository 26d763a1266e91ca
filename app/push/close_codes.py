"""The websocket close codes of push protocol v1, named once for the server and both devices.

RFC 6455 codes (1000-1014) plus the protocol's own in the 4000 range. An IntEnum, so a
member goes straight to a socket library and compares equal to the number a socket reports.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # a peer silent after a ping, or a server restarting
    UNSUPPORTED_DATA = 1003  # a binary message: the protocol speaks text only
    POLICY_VIOLATION = 1008  # a message out of place or badly signed
    TOO_BIG = 1009  # a message over 64 KiB
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013  # the server cannot serve the socket now (database, slow reader)
    AUTH_FAILED = 4401  # a bad, unknown or late auth
    REVOKED = 4403  # the site revoked the device: reconnecting is useless
