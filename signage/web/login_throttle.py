"""Sign-in throttling that slows guessing without letting anyone lock a colleague out.

A fixed lockout (five failures, then fifteen minutes) is a weapon: anyone who knows a username can keep its owner
out for good, from anywhere. Here failures grow delays instead, counted three ways:

- per account and address: the few free tries of someone who mistyped, then 1 s, 2 s, 4 s… up to 15 minutes;
- per address, over every account (someone trying many usernames): more free tries, the same growth;
- per account, over every address (a guess spread over many machines): delays capped at 30 s, and never applied
  to an address that signed in to that account before, so its owner keeps signing in from where they work.

A success clears the account-and-address count. Counts fade after an hour without failures. The address is the
client's (``client_address``: behind a listed proxy, the one it forwards). Counts live in each web process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["LoginThrottle"]

FORGET_AFTER_S = 3600.0


@dataclass(frozen=True, slots=True)
class _Rule:
    free: int  # failures without delay
    cap_s: float  # the longest delay


PAIR, ADDRESS, ACCOUNT = _Rule(3, 900.0), _Rule(10, 900.0), _Rule(10, 30.0)


class LoginThrottle:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (failures, last at)
        self._known: OrderedDict[str, float] = OrderedDict()  # "account address" that signed in before
        self._max_keys = max_keys

    def _delay(self, key: str, rule: _Rule, now: float) -> float:
        held = self._failures.get(key)
        if held is None:
            return 0.0
        failures, last = held
        if now - last > FORGET_AFTER_S:
            del self._failures[key]
            return 0.0
        if failures < rule.free:
            return 0.0
        return max(0.0, min(rule.cap_s, 2.0 ** (failures - rule.free)) - (now - last))

    def wait_s(self, username: str, address: str, now: float | None = None) -> float:
        """Seconds before this account may be tried again from this address (0: now)."""
        now = time.monotonic() if now is None else now
        waits = [self._delay(f"pair {username} {address}", PAIR, now), self._delay(f"address {address}", ADDRESS, now)]
        if f"{username} {address}" not in self._known:
            waits.append(self._delay(f"account {username}", ACCOUNT, now))
        return max(waits)

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in (f"pair {username} {address}", f"address {address}", f"account {username}"):
            failures = self._failures.pop(key, (0, now))[0]
            self._failures[key] = (failures + 1, now)
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str, now: float | None = None) -> None:
        self._failures.pop(f"pair {username} {address}", None)
        self._known.pop(f"{username} {address}", None)
        self._known[f"{username} {address}"] = time.monotonic() if now is None else now
        while len(self._known) > self._max_keys:
            self._known.popitem(last=False)
