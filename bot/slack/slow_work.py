"""Slow work (a model call and what follows it) on bounded workers of its own: a listener hands it over and is free
again at once, so acknowledgements never wait for the model. When the workers and their queue are full the work is
refused at once, and the person gets what they get when the model does not answer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps

from bot.settings import Settings
from bot.slack.lifecycle import DrainingPool, ListenerPool

logger = logging.getLogger(__name__)
WAITING_PER_WORKER = 8  # how much slow work may wait for a worker, per worker, before more is refused

_handing_to: ContextVar[SlowWork | None] = ContextVar("slow_work", default=None)


class SlowWork(DrainingPool):
    """`workers` threads (named slow-work_N in logs), and at most `waiting` pieces of work waiting for one of them."""

    def __init__(self, workers: int, *, waiting: int | None = None) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="slow-work")
        waiting = WAITING_PER_WORKER * workers if waiting is None else waiting
        self._room = threading.BoundedSemaphore(workers + waiting)

    def handing_to(self, listener: Callable) -> Callable:
        """`listener`, running with its slow work handed to these workers (see `hand_off`)."""

        @wraps(listener)
        def run(*args, **kwargs):
            token = _handing_to.set(self)
            try:
                return listener(*args, **kwargs)
            finally:
                _handing_to.reset(token)

        return run

    def offer(self, work: Callable[[], None], *, refused: Callable[[], None]) -> None:
        """Run `work` on a worker; run `refused` here instead when the workers and their queue are full."""
        if not self._room.acquire(blocking=False):
            logger.warning("Slow work refused: all %s workers are busy and the queue is full", self._max_workers)
            refused()
            return
        self.submit(_logging_failure, work).add_done_callback(lambda _: self._room.release())


def listener_pool(settings: Settings) -> ListenerPool:
    """An app's listener threads, with its READINESS_SLOW_WORKERS slow workers."""
    return ListenerPool(SlowWork(settings.slow_workers))


def hand_off(work: Callable[[], None], *, refused: Callable[[], None]) -> None:
    """From a listener: run `work` on its app's slow workers and return at once, or `refused` here when they are full.
    Elsewhere (on a slow worker, in a command-line run) `work` runs here and now."""
    pool = _handing_to.get()
    if pool is None:
        work()
    else:
        pool.offer(work, refused=refused)


def _logging_failure(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:
        logger.exception("Slow work failed")
