"""The codes on screen, each computed once per time step (TOTP, Steam) or counter (HOTP).

The list repaints every second, but a 30-second code changes once in 30 repaints: the HMAC
runs once per account and period, and a repaint of the visible rows is dictionary lookups.
Entries are keyed by uuid, so the cache never holds more than one entry per account.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.account import Account, Algorithm, OtpType
from app.core.otp import hotp, steam, time_step

# What a cached code depends on besides the account's uuid: the time step (or counter) and
# everything that changes the code's value.
_Key = tuple[int, bytes, OtpType, Algorithm, int]


@dataclass(frozen=True, slots=True)
class ShownCode:
    text: str
    seconds_left: float | None  # None for HOTP (no timer)
    period: int


class CodeCache:
    def __init__(self) -> None:
        self._current: dict[str, tuple[_Key, str]] = {}
        self._next: dict[str, tuple[_Key, str]] = {}

    def clear(self) -> None:
        self._current.clear()
        self._next.clear()

    def __len__(self) -> int:
        return len(self._current)

    def code(self, account: Account, now: float) -> ShownCode:
        """The code `account` shows at `now` and the seconds it stays valid."""
        if account.type is OtpType.HOTP:
            return ShownCode(self._lookup(self._current, account, account.counter), None, 0)
        step = time_step(now, account.period)
        left = (step + 1) * account.period - now
        return ShownCode(self._lookup(self._current, account, step), left, account.period)

    def next_code(self, account: Account, now: float) -> str:
        """The code that follows: the next period's, or the next counter's for HOTP."""
        if account.type is OtpType.HOTP:
            return self._lookup(self._next, account, account.counter + 1)
        return self._lookup(self._next, account, time_step(now, account.period) + 1)

    def _lookup(self, table: dict[str, tuple[_Key, str]], account: Account, moment: int) -> str:
        key = (moment, account.secret, account.type, account.algorithm, account.digits)
        entry = table.get(account.uuid)
        if entry is not None and entry[0] == key:
            return entry[1]
        text = _compute(account, moment)
        table[account.uuid] = (key, text)
        return text


def _compute(account: Account, moment: int) -> str:
    if account.type is OtpType.STEAM:
        return steam(account.secret, moment)
    return hotp(account.secret, moment, account.algorithm, account.digits)
