"""Running and stopping: the listeners' thread pool (with the slow workers it hands model calls to), which can wait
for its work, and a clean stop of the HTTP server (no new requests, those in flight finished, then the serving loop
ended)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from waitress.channel import HTTPChannel

from bot.slack.incoming import sender

if TYPE_CHECKING:
    from slack_bolt import App, BoltRequest

    from bot.slack.slow_work import SlowWork

logger = logging.getLogger(__name__)
LISTENER_THREADS = 64  # a command's or a form's ack waits for a free thread: keep this above the requests at once
DISPATCH_THREADS = 1  # hands stored events, clicks and commands to their listeners (bot/slack/receipt.py) in the
# order they arrived: each listener has started before the next request is handed on, and a person's request waits
# for their request before it to be finished (two quick replies by one person are acted on in the order sent)
IN_ORDER_WAIT = 10.0  # seconds a person's request waits for their request before it, at most: the dispatch waits
# with it, and a listener that hangs must not hold up everyone's requests for long
GRACE_SECONDS = 20.0  # how long a stop waits for the work in flight; what is left is swept at the next start


def pause(stopping: threading.Event, seconds: float, *, step: float = 0.1) -> None:
    """Wait `seconds`, or until `stopping` is set, in short sleeps: Event.wait's own timed wait never ends under
    libfaketime, which the tests use to run the bot at any instant."""
    deadline = time.monotonic() + seconds
    while not stopping.is_set() and time.monotonic() < deadline:
        time.sleep(min(step, max(0.0, deadline - time.monotonic())))


class DrainingPool(ThreadPoolExecutor):
    """A thread pool remembering its work, so a stop (or a test) can wait until it is done."""

    def __init__(self, *, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float) -> bool:
        """Wait until none of its work is running or waiting (work started meanwhile included); False if `timeout`
        ran out."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            wait(pending, timeout=remaining)


class ListenerPool(DrainingPool):
    """The listeners' threads; model calls (and what follows them) go from them to `slow`, its own bounded workers,
    so a listener is soon free for the next acknowledgement (bot/slack/slow_work.py). Requests acknowledged once
    stored reach their listeners through `dispatch`, a thread of its own, as a dispatch waits for its listener to
    start: in the listeners' pool, a burst of them could take every thread and wait for listeners that cannot start."""

    def __init__(self, slow: SlowWork) -> None:
        super().__init__(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
        self.slow = slow
        self.dispatch = DrainingPool(max_workers=DISPATCH_THREADS, thread_name_prefix="dispatch")
        self._starting = threading.local()  # .listeners: those started by the request this thread hands on
        self._senders: dict[str, list[Future]] = {}  # a sender's last request's listeners, while they run
        self._senders_lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = super().submit(self.slow.handing_to(fn), *args, **kwargs)
        if (started := getattr(self._starting, "listeners", None)) is not None:
            started.append(future)
        return future

    def act_in_order(self, app: App, request: BoltRequest) -> None:
        """Hand a stored request to `app`, once the listeners of its sender's request before it have finished (at
        most IN_ORDER_WAIT): a person's quick replies are acted on one after another, each seeing what the one
        before stored. Other people's requests go on at once, unless they arrived behind it. Returns when its own
        listeners have started."""
        person = sender(request.body)
        with self._senders_lock:
            before = self._senders.pop(person, []) if person else []
        if before and wait(before, timeout=IN_ORDER_WAIT).not_done:
            logger.warning("Acting on a request while its sender's request before it is still being acted on")
        self._starting.listeners = started = []
        try:
            app.dispatch(request)
        finally:
            del self._starting.listeners
        if person:
            with self._senders_lock:
                self._senders = {other: running for other, running in self._senders.items()
                                 if not all(future.done() for future in running)}
                self._senders[person] = started

    def drain_listeners(self, timeout: float) -> bool:
        """Wait until the dispatches, then the listeners (those they started too), are done; False if `timeout` ran
        out."""
        deadline = time.monotonic() + timeout
        return self.dispatch.drain(timeout) and self.drain(max(0.0, deadline - time.monotonic()))

    def drain_all(self, timeout: float) -> bool:
        """Wait until the listeners, then the slow work they handed over, are done; False if `timeout` ran out."""
        deadline = time.monotonic() + timeout
        return self.drain_listeners(timeout) and self.slow.drain(max(0.0, deadline - time.monotonic()))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.dispatch.shutdown(wait, cancel_futures=cancel_futures)
        super().shutdown(wait, cancel_futures=cancel_futures)
        self.slow.shutdown(wait, cancel_futures=cancel_futures)


class CleanStop:
    """Stopping a waitress server cleanly: `begin` (from any thread) accepts no new connection, lets the requests in
    flight be answered and their listeners and slow work finish, within `grace` seconds, then ends the serving loop;
    `finish`, once `server.run()` has returned, closes the sockets."""

    def __init__(self, server, pool: ListenerPool, *, grace: float = GRACE_SECONDS) -> None:
        self.server, self.pool, self.grace = server, pool, grace
        self._channels: list = []
        self.complete = True

    def begin(self) -> None:
        deadline = time.monotonic() + self.grace
        self.server.accepting = False
        self.complete = (_until(lambda: not _busy(self.server), deadline)
                         and self.pool.drain_all(max(0.0, deadline - time.monotonic())))
        if not self.complete:
            logger.warning("Stopped with work still in flight; it is acted on when the bot next starts")
        self.server.task_dispatcher.shutdown(timeout=1)
        self._channels = list(self.server._map.values())  # the listening socket, its trigger, open connections
        self.server._map.clear()  # the serving loop ends once its map is empty...
        self.server.pull_trigger()  # ...and this wakes it up to notice

    def finish(self) -> None:
        for channel in self._channels:
            channel.close()


def _busy(server) -> bool:
    """A request is being handled or queued, or an answer is still being written out."""
    dispatcher = server.task_dispatcher
    writing = any(isinstance(c, HTTPChannel) and (c.requests or c.total_outbufs_len) for c in server._map.values())
    return bool(dispatcher.active_count or dispatcher.queue or writing)


def _until(condition: Callable[[], bool], deadline: float) -> bool:
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def on_sigterm(stop: Callable[[], object]) -> None:
    """Run `stop` in a thread of its own when SIGTERM first arrives (the main thread keeps serving meanwhile)."""
    started = threading.Event()

    def handle(*_) -> None:
        if not started.is_set():
            started.set()
            threading.Thread(target=stop, name="stopping").start()

    signal.signal(signal.SIGTERM, handle)
