"""The sweep: requests acknowledged but never acted on (the process stopped, crashed or lost its database midway)
are handed to the app again, old ones dropped, and messages left in the outbox (Slack was failing, a delivery was
cut short) are delivered, at start-up and then every few seconds."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from slack_bolt import App, BoltRequest
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from bot.slack.incoming import RESUMED
from bot.slack.lifecycle import ListenerPool, pause
from storage import inbox

logger = logging.getLogger(__name__)
BATCH = 50


def sweep(app: App, services: Services, pool: ListenerPool, *, idle: timedelta) -> int:
    """Claim the stored requests nobody has claimed, or touched for `idle`, and act on them, oldest first (each
    person's one after another, on `pool`); how many were handed on."""
    with services.reading() as session:
        if not inbox.any_pending(idle=idle, session=session):
            return 0
    with services.session() as session:
        pending = inbox.claim_pending(idle=idle, limit=BATCH, session=session)
    for key, payload, _ in pending:
        pool.act_in_order(app, BoltRequest(body=payload, context={RESUMED: key}))
    left = sum(was_left for _, _, was_left in pending)
    if left:
        logger.info("Acted on %d stored request(s) that had not been finished", left)
    return len(pending)


def upkeep(services: Services) -> None:
    """Drop old stored requests, and deliver what is left in the outbox."""
    tidy(services)
    services.outbox.deliver()


def tidy(services: Services) -> None:
    """Drop a batch of stored requests older than the inbox keeps (acted on, or given up on)."""
    with services.reading() as session:
        if not inbox.any_expired(session):
            return
    with services.session() as session:
        inbox.purge(session)


class Sweeper:
    """Sweeps the inbox and the outbox in a thread of its own, at once and then every `every` seconds, until
    stopped."""

    def __init__(self, app: App, services: Services, pool: ListenerPool, *, idle: timedelta,
                 every: float = 5.0) -> None:
        self._app, self._services, self._pool, self._idle, self._every = app, services, pool, idle, every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inbox-sweep", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sweeping (at once, or after the sweep under way); safe to call more than once."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sweep(self._app, self._services, self._pool, idle=self._idle)
                upkeep(self._services)
            except SQLAlchemyError as error:
                logger.warning("Could not sweep (%s); trying again shortly", type(error).__name__)
            pause(self._stopping, self._every)
