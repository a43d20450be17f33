"""A server-wide line for builds: at most N at once, and identical work never twice at the same time.

One dashboard process serves every visitor, so a process-wide queue is
enough to keep a small machine from running three 10,000-paper builds at
once. A ticket carries a *work key* (the papers' text and the embedding
settings, :func:`analysis.workspace.work_key`): a ticket whose key matches
a running build waits for it even when a slot is free, and then finds its
vectors (and often its reduction) in the cache, so two sessions building
the same papers embed them once. Waiting tickets keep their order; one held
back by its key lets the next one pass. Nothing here imports streamlit.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(eq=False)
class Ticket:
    key: str | None
    number: int


class BuildQueue:
    """At most ``limit`` holders at once (None: no limit); FIFO, except that equal keys never run together."""

    def __init__(self, limit: int | None = 1) -> None:
        self.limit = limit
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []
        self._running: list[Ticket] = []
        self._numbers = itertools.count(1)

    def set_limit(self, limit: int | None) -> None:
        with self._cond:
            self.limit = limit
            self._cond.notify_all()

    def _admissible(self, ticket: Ticket) -> bool:
        """The first ticket in line that may run now is this one."""
        for t in self._waiting:
            free = self.limit is None or len(self._running) < self.limit
            clash = t.key is not None and any(r.key == t.key for r in self._running)
            if free and not clash:
                return t is ticket
        return False

    def place(self, ticket: Ticket) -> int:
        """1 for the next in line; 0 once running (or gone)."""
        with self._cond:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    @property
    def counts(self) -> tuple[int, int]:
        """(running, waiting)."""
        with self._cond:
            return len(self._running), len(self._waiting)

    @contextlib.contextmanager
    def slot(self, key: str | None = None, on_wait: Callable[[int, int], None] | None = None,
             poll: float = 0.5) -> Iterator[Ticket]:
        """Hold a build slot for the ``with`` body; ``on_wait(place, running)`` is called while waiting."""
        ticket = Ticket(key=key, number=next(self._numbers))
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not self._admissible(ticket):
                    if on_wait is not None:
                        on_wait(self._waiting.index(ticket) + 1, len(self._running))
                    self._cond.wait(poll)
            except BaseException:
                self._waiting.remove(ticket)
                self._cond.notify_all()
                raise
            self._waiting.remove(ticket)
            self._running.append(ticket)
        try:
            yield ticket
        finally:
            with self._cond:
                self._running.remove(ticket)
                self._cond.notify_all()


#: The dashboard process's one queue; :func:`analysis.workspace.start_build` sets its limit from the config.
QUEUE = BuildQueue(limit=None)
