"""The inbox worker: a process of its own that acts on the events, clicks and commands `serve` stored and
acknowledged, so that acknowledging never competes with acting for one process's CPU.

`serve` starts it (`readiness-bot work`), wakes it by a byte on its stdin for each request stored, stops it once
the requests in flight are stored, and starts it again if it dies. The worker lets a burst of requests be
acknowledged first, then claims what is stored, oldest first, and hands each request to its app in that order; every
few seconds it also takes up requests claimed but left (another process died midway), drops old ones and delivers
what is left in the outbox. When `serve` is gone (its end of the pipe closes, or on Linux the kernel's signal for a
dead parent) the worker stops at once, as `serve` did: what it had not finished is taken up by the next worker.
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

from slack_bolt import App
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from bot.slack import resume
from bot.slack.lifecycle import GRACE_SECONDS, ListenerPool

logger = logging.getLogger(__name__)
PARENT = "READINESS_WORKER_OF"  # the worker's environment: the process id of the `serve` that started it
TICK = 0.25  # seconds: how often the worker looks at whether it is told to stop
QUIET, HOLD = 0.02, 0.3  # seconds: a burst of requests is acted on once none came for QUIET, or after HOLD at most
NICENESS = 5  # the worker yields the CPU to acknowledgements (about a third of their share when both are busy)
RESTART_PAUSE = 1.0  # seconds before a worker that died is started again
_PR_SET_PDEATHSIG = 1


class WorkerProcess:
    """`serve`'s side: the worker process, started, woken, restarted if it dies, and stopped."""

    def __init__(self, command: list[str]) -> None:
        self._command = command
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> WorkerProcess:
        self._spawn()
        threading.Thread(target=self._watch, name="inbox-worker-watch", daemon=True).start()
        return self

    def wake(self) -> None:
        """Tell the worker a request is stored; never waits (a full pipe means it has been told already)."""
        with self._lock:
            pipe = self._process.stdin if self._process else None
            try:
                if pipe is not None:
                    os.write(pipe.fileno(), b"\n")
            except (BlockingIOError, BrokenPipeError, ValueError):
                pass  # told already, or dying: a new worker claims everything stored when it starts

    def stop(self, timeout: float) -> int | None:
        """Let the worker act on what is stored and finish its work in flight (it has GRACE_SECONDS), waiting at
        most `timeout`; its exit status, or None if it had to be killed."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None or process.poll() is not None:
            return process.returncode if process else 0
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.warning("The inbox worker did not stop in time; what it had not finished is acted on at the next "
                           "start")
            process.kill()
            process.wait()
            return None

    def _spawn(self) -> None:
        process = subprocess.Popen(self._command, stdin=subprocess.PIPE, env={**os.environ, PARENT: str(os.getpid())})
        os.set_blocking(process.stdin.fileno(), False)
        with self._lock:
            self._process = process

    def _watch(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                process = self._process
            status = process.wait()
            if self._stopping.is_set():
                return
            logger.error("The inbox worker stopped (exit status %s); starting it again", status)
            time.sleep(RESTART_PAUSE)
            if not self._stopping.is_set():
                self._spawn()


def worker_command() -> list[str]:
    """How `serve` starts its worker: this Python, this package's command."""
    return [sys.executable, "-m", "bot.cli", "work"]


def work(app: App, services: Services, pool: ListenerPool, *, idle: timedelta, every: float = 5.0) -> None:
    """The worker's side, until SIGTERM: wait to be woken (stdin), then act on everything stored, oldest first; every
    `every` seconds also on what another process left, and deliver what is left in the outbox. On SIGTERM, act on
    what is stored, then finish (at most GRACE_SECONDS)."""
    _die_with_parent()
    os.nice(NICENESS)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    wakes, next_round = sys.stdin.fileno(), 0.0
    while not stopping.is_set():
        woken = _woken(wakes, TICK)
        if woken:
            _until_quiet(wakes)
        if woken or time.monotonic() >= next_round:
            _act_on_stored(app, services, pool, idle=idle)
        if time.monotonic() >= next_round:
            _quietly(lambda: resume.upkeep(services))
            next_round = time.monotonic() + every
    _act_on_stored(app, services, pool, idle=idle)
    if not pool.drain_all(GRACE_SECONDS):
        logger.warning("Stopped with work still in flight; it is acted on when the bot next starts")


def _woken(wakes: int, timeout: float) -> bool:
    """Whether `serve` stored a request within `timeout` seconds; if `serve` is gone, the worker stops at once."""
    woken, _, _ = select.select([wakes], [], [], timeout)
    if woken and not os.read(wakes, 4096):
        logger.error("The serving process is gone: the inbox worker stops at once")
        os._exit(1)
    return bool(woken)


def _until_quiet(wakes: int) -> None:
    """Let requests arriving together be acknowledged first: wait until none has arrived for QUIET seconds (HOLD at
    most), then claim them all in one go."""
    deadline = time.monotonic() + HOLD
    while (left := deadline - time.monotonic()) > 0 and _woken(wakes, min(QUIET, left)):
        pass


def _act_on_stored(app: App, services: Services, pool: ListenerPool, *, idle: timedelta) -> None:
    _quietly(lambda: _sweep_all(app, services, pool, idle))


def _sweep_all(app: App, services: Services, pool: ListenerPool, idle: timedelta) -> None:
    while resume.sweep(app, services, pool, idle=idle) == resume.BATCH:
        pass


def _quietly(step) -> None:
    try:
        step()
    except SQLAlchemyError as error:
        logger.warning("The inbox worker could not reach the database (%s); trying again shortly",
                       type(error).__name__)


def _die_with_parent() -> None:
    """On Linux, be killed when `serve` dies (as it may, by kill -9); and if it is gone already, stop now."""
    parent = os.environ.get(PARENT)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != int(parent):
        os._exit(1)
