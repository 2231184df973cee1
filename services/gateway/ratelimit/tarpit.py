"""The tarpit: a request refused by a rate limit is held a while before its 429 goes out.

Why: answering a refusal at once lets one client looping sequentially (as fast as answers come)
spend the gateway's CPU on thousands of 429s a second, CPU the model shares on a small host.
Holding the answer until the client's next token is due (at most `max_hold_s`) costs no CPU (an
asyncio sleep) and holds such a loop to about the rate it is allowed. The holds are capped per
client address and in all, so that a client opening many connections cannot tie up the
gateway's sockets: beyond the cap a refusal is answered at once.

The tarpit also remembers which (address, method, path) an anonymous refusal was for, so that
the next identical request is refused before the app runs at all (TarpitMiddleware): no routing,
no dependencies, no exception handling.
"""

import asyncio
import collections
from dataclasses import dataclass

# The most remembered refusals (a flood of distinct addresses must not grow it without bound).
_REMEMBERED_SIZE = 100_000


@dataclass(frozen=True)
class Refused:
    """What a remembered refusal was: the bucket that said no, and the limit's words."""

    bucket_key: str
    limit_words: str


class Tarpit:
    def __init__(self, max_hold_s: float, max_held_per_address: int, max_held: int):
        self.max_hold_s = max_hold_s
        self.max_held_per_address = max_held_per_address
        self.max_held = max_held
        self._held: collections.Counter[str] = collections.Counter()
        self._held_total = 0
        self._refused: dict[tuple[str, str, str], Refused] = {}

    @property
    def held(self) -> int:
        return self._held_total

    async def hold(self, address: str, retry_after_s: float) -> float:
        """Waits until a token is due, at most max_hold_s; at once when the caps are reached.
        Returns the seconds held."""
        seconds = min(self.max_hold_s, retry_after_s)
        if seconds <= 0 or self._held[address] >= self.max_held_per_address or self._held_total >= self.max_held:
            return 0.0
        self._held[address] += 1
        self._held_total += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self._held_total -= 1
            self._held[address] -= 1
            if self._held[address] <= 0:
                del self._held[address]
        return seconds

    def remember(self, address: str, method: str, path: str, refused: Refused) -> None:
        key = (address, method, path)
        if key not in self._refused and len(self._refused) >= _REMEMBERED_SIZE:
            self._refused.pop(next(iter(self._refused)))
        self._refused[key] = refused

    def refused(self, address: str, method: str, path: str) -> Refused | None:
        return self._refused.get((address, method, path))

    def forget(self, address: str, method: str, path: str) -> None:
        self._refused.pop((address, method, path), None)
