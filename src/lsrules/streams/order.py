"""Events fed to the stream rules in `created_at` order, sorted within a bounded look-ahead.

An export in task-id order lists a task's late second annotation next to its first: fed in
that order it would pull stream time forward for every annotation after it (stream time
never goes backwards), and windows would then see minutes of work as one burst. `TimeOrder`
holds up to `lookahead` events and, once full, releases the earliest, so an event up to that
many places out of place in the input reaches the rules in time order. No event is held for
more than twice that many places: one dated far ahead of its neighbours goes then, and the
events it would have waited for count as late, like any event further out of place than the
look-ahead. The late ones are counted, with how late, for the warning `run` prints.

An event without a time sorts as if it had the time of the event before it in the input.
Ties keep input order. With a look-ahead of 0, events go in input order (and are counted
late the same way). `lsrules run` and `run --cluster` both order with this class, which is
why their findings agree; the bound on holding is what lets `run` keep each stream finding
right after the decision of the annotation that triggered it with bounded memory.
"""
from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Any

DEFAULT_LOOKAHEAD = 10_000  # annotations held back; each a slim event, a few hundred bytes


class TimeOrder:
    def __init__(self, lookahead: int):
        self.lookahead = lookahead
        self._heap: list[tuple[float, int, Any]] = []  # (sort time, position, item)
        self._held: deque[tuple[float, int, Any]] = deque()  # the same, in input order
        self._skip_in_heap: set[int] = set()  # positions released from `_held`
        self._skip_in_held: set[int] = set()  # positions released from `_heap`
        self._size = 0
        self._pushed = 0
        self._last_time = -math.inf  # the sort time of an event without one
        self._released = -math.inf  # the latest time released so far
        self.late = 0  # events released after a later one
        self.most_late = 0.0  # seconds

    def push(self, moment: float | None, item: Any) -> list:
        """Hold `item` (happening at `moment`); returns the items now released, in order."""
        if moment is None or not math.isfinite(moment):
            moment = self._last_time
        else:
            self._last_time = moment
        entry = (moment, self._pushed, item)
        heapq.heappush(self._heap, entry)
        self._held.append(entry)
        self._size += 1
        self._pushed += 1
        released = []
        if self._size > self.lookahead:
            released.append(self._release(self._earliest()))
        oldest = self._oldest()
        if oldest is not None and oldest[1] <= self._pushed - 1 - 2 * self.lookahead:
            self._held.popleft()
            self._skip_in_heap.add(oldest[1])
            released.append(self._release(oldest))
        return released

    def finish(self) -> list:
        """Every item still held, in order."""
        return [self._release(self._earliest()) for _ in range(self._size)]

    def _earliest(self) -> tuple[float, int, Any]:
        while self._heap[0][1] in self._skip_in_heap:
            self._skip_in_heap.discard(heapq.heappop(self._heap)[1])
        entry = heapq.heappop(self._heap)
        self._skip_in_held.add(entry[1])
        return entry

    def _oldest(self) -> tuple[float, int, Any] | None:
        while self._held and self._held[0][1] in self._skip_in_held:
            self._skip_in_held.discard(self._held.popleft()[1])
        return self._held[0] if self._held else None

    def _release(self, entry: tuple[float, int, Any]) -> Any:
        moment, _, item = entry
        self._size -= 1
        if moment < self._released:
            self.late += 1
            self.most_late = max(self.most_late, self._released - moment)
        else:
            self._released = moment
        return item


def held_back(stream_order: str, lookahead: int) -> int:
    """How many annotations `run --stream-order ... --stream-lookahead N` holds back."""
    return lookahead if stream_order == "time" else 0


def late_warning(order: TimeOrder, stream_order: str, lookahead: int) -> str | None:
    """The one-line warning about events that reached the rules out of time order."""
    if not order.late:
        return None
    how = ("in input order (--stream-order input)" if stream_order == "input" else
           f"even after sorting within {lookahead} annotations")
    return (f"warning: {order.late} annotations reached the stream rules out of created_at "
            f"order (up to {_duration(order.most_late)} late) {how}; stream time counts each "
            "as happening when the latest annotation before it did, which can invent or hide "
            "stream findings: sort the export by created_at, or raise --stream-lookahead")


def _duration(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
