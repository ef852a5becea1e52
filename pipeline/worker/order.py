"""Conversation order across the retry topic: a Redis marker per conversation with a retry.

The rule: **while a message of a conversation waits on the retry topic, every later message
of that conversation goes behind it, onto the retry topic too, and they are carried in the
order they were received.** A message leaves the line when it is delivered, dead-lettered
or held; the next one is then carried. So a 429 on message 1 delays message 2 rather than
letting it overtake.

The marker of a conversation is a Redis hash with two counters: ``next`` (the place the next
message to join the line gets) and ``head`` (the place whose turn it is). A message joins
the line with its place in a ``park_seq`` header; the retry agent carries a record only on
its turn. When the head fails again it goes back to the retry topic (same place), and
records behind it that come up before it are put back too, behind it — so the line keeps
its order however often the head is retried. The last one out deletes the marker.

Each step is one Lua script, so two workers (during a rebalance) never hand out the same
place. The marker expires after ``ttl_s`` without activity: a record lost between taking a
place and reaching the retry topic (a crash in between) holds its conversation up for at
most that long. While Redis is unreachable the agents carry records without the line (the
order is then best effort) rather than stop every tenant.
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis

from pipeline.kafka.retry import header_int

PARK_SEQ: Final = "park_seq"
"""Header: a retry-topic record's place in its conversation's line."""

_JOIN: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '0' then return -1 end
  redis.call('HSET', KEYS[1], 'head', 0, 'next', 0)
end
local place = redis.call('HINCRBY', KEYS[1], 'next', 1) - 1
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return place
"""

_LEAVE: Final = """
local head = tonumber(redis.call('HGET', KEYS[1], 'head'))
if head == nil or head ~= tonumber(ARGV[1]) then return -1 end
head = redis.call('HINCRBY', KEYS[1], 'head', 1)
if head >= tonumber(redis.call('HGET', KEYS[1], 'next')) then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return head
"""


def park_seq(headers: dict[str, bytes]) -> int | None:
    """The record's place in its conversation's line, if it has one."""
    place = header_int(headers, PARK_SEQ, -1)
    return place if place >= 0 else None


class ConversationOrder:
    """The lines of conversations with a message on the retry topic of one source topic."""

    def __init__(self, redis: Redis, *, key_prefix: str, source: str, ttl_s: float) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}order:{source}:"
        self._ttl_ms = str(int(ttl_s * 1000))
        # EVALSHA: the script's hash travels with every record, not its text.
        self._join_script = redis.register_script(_JOIN)
        self._leave_script = redis.register_script(_LEAVE)

    def _key(self, conversation: str) -> str:
        return self._prefix + conversation

    async def _join(self, conversation: str, *, start: bool) -> int | None:
        place = await self._join_script(
            keys=[self._key(conversation)], args=["1" if start else "0", self._ttl_ms]
        )
        return None if int(place) < 0 else int(place)

    async def follow(self, conversation: str) -> int | None:
        """A place behind the conversation's line, or ``None`` when it has no line."""
        return await self._join(conversation, start=False)

    async def park(self, conversation: str) -> int:
        """A place in the conversation's line, starting the line if there is none."""
        place = await self._join(conversation, start=True)
        assert place is not None  # start=True always yields a place
        return place

    async def head(self, conversation: str) -> int | None:
        """The place whose turn it is, or ``None`` when the conversation has no line."""
        raw = await self._redis.hget(self._key(conversation), "head")
        return int(raw) if raw is not None else None

    async def touch(self, conversation: str) -> None:
        """The line is still moving: push its expiry back."""
        await self._redis.pexpire(self._key(conversation), int(self._ttl_ms))

    async def leave(self, conversation: str, place: int) -> None:
        """The record at ``place`` is done (delivered, dead-lettered or held): next, please."""
        await self._leave_script(keys=[self._key(conversation)], args=[str(place), self._ttl_ms])
