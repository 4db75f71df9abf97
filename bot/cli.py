"""The readiness-bot command: run (Socket Mode), serve (HTTP), migrate."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot import logs
from bot.errors import UserFacingError
from bot.framework import FrameworkError
from bot.settings import SettingsError, load_settings

logger = logging.getLogger("bot")
TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


def _run(_args: argparse.Namespace) -> None:
    """Socket Mode; on SIGTERM: no new work, what is in flight finished (at most 20 s), exit 0."""
    import signal
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.runtime import start
    from bot.slack.lifecycle import GRACE_SECONDS
    from bot.slack.slow_work import listener_pool

    settings = load_settings()
    if settings.oauth:
        raise SettingsError("SLACK_CLIENT_ID is set, and installing in several workspaces needs HTTP mode: run "
                            "`readiness-bot serve`, or remove SLACK_CLIENT_ID to use Socket Mode in one workspace.")
    settings.require("SLACK_APP_TOKEN")
    pool = listener_pool(settings)
    app, services = start(settings, executor=pool)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    handler = SocketModeHandler(app, settings.slack_app_token)
    with _sweeping(app, services, pool, settings):
        handler.connect()
        logger.info("Readiness Bot is running in Socket Mode")
        stopping.wait()
        logger.info("Stopping: finishing the work in flight")
        handler.close()
        pool.drain_all(GRACE_SECONDS)
    logger.info("Stopped")


def _serve(args: argparse.Namespace) -> None:
    """HTTP, with the inbox worker process acting on what it stores; on SIGTERM: no new requests, those in flight
    answered and stored, then the worker acts on what is stored and finishes (at most 20 s each), exit 0."""
    from bot.runtime import start
    from bot.slack.inbox_worker import WorkerProcess, worker_command
    from bot.slack.lifecycle import GRACE_SECONDS, CleanStop, on_sigterm
    from bot.slack.server import make_server
    from bot.slack.slow_work import listener_pool

    settings = load_settings()
    pool = listener_pool(settings)
    worker = WorkerProcess(worker_command())
    app, services = start(settings, required=("SLACK_SIGNING_SECRET",), executor=pool, wake_worker=worker.wake)
    server = make_server(app, services, signing_secret=settings.slack_signing_secret, host=args.host,
                         port=args.port, gate_token=settings.gate_token)
    stop = CleanStop(server, pool)
    worker.start()

    def stopping() -> None:
        logger.info("Stopping: finishing the requests in flight")
        stop.begin()

    on_sigterm(stopping)
    logger.info("Readiness Bot is serving on http://%s:%s/slack/events", args.host, server.effective_port)
    if settings.oauth:
        logger.info("Install it in a workspace from http://%s:%s/slack/install", args.host, server.effective_port)
    try:
        server.run()
        stop.finish()
    finally:
        worker.stop(GRACE_SECONDS)
    logger.info("Stopped")


def _work(_args: argparse.Namespace) -> None:
    """The inbox worker `serve` starts: acts on the requests it stored, until SIGTERM."""
    from datetime import timedelta

    from bot.runtime import start
    from bot.slack.inbox_worker import work
    from bot.slack.slow_work import listener_pool

    settings = load_settings()
    pool = listener_pool(settings)
    app, services = start(settings, executor=pool)
    work(app, services, pool, idle=timedelta(seconds=settings.resume_after_seconds))


@contextmanager
def _sweeping(app, services, pool, settings) -> Iterator:
    """The inbox sweep, acting on requests stored but never finished, for as long as the block runs."""
    from datetime import timedelta

    from bot.slack.resume import Sweeper

    sweeper = Sweeper(app, services, pool, idle=timedelta(seconds=settings.resume_after_seconds)).start()
    try:
        yield sweeper
    finally:
        sweeper.stop()


def _migrate(_args: argparse.Namespace) -> None:
    from storage.db import make_engine, migrate

    settings = load_settings()
    migrate(make_engine(settings.database_url))
    print("Database is at the newest schema.")


def _gate(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.domain.approvals import gate
    from bot.framework import load_framework
    from storage.db import make_engine, read_scope

    settings = load_settings()
    framework = load_framework(settings.framework_path)
    with read_scope(make_engine(settings.database_url), now=SystemClock().now()) as session:
        result = gate(args.name, team_id=args.team, session=session, framework=framework)
    print(result.reason)
    return 0 if result.allowed else 1


def _gather(args: argparse.Namespace, *, chart: bool = False) -> tuple[dict, bytes | None]:
    """Everything stored for the initiative named (bot/domain/dossier.py), and its adoption chart if asked."""
    from bot.clock import SystemClock
    from bot.domain.dossier import dossier
    from bot.domain.export import adoption_chart
    from bot.domain.initiatives import find_anywhere
    from bot.framework import load_framework
    from storage.db import make_engine, read_scope

    settings = load_settings()
    framework = load_framework(settings.framework_path)
    now = SystemClock().now()
    with read_scope(make_engine(settings.database_url), now=now) as session:
        initiative = find_anywhere(args.name, team_id=args.team, session=session)
        record = dossier(initiative, session=session, framework=framework, now=now)
        png = adoption_chart(initiative.id, initiative.name, session=session) if chart else None
    return record, png


def _show(args: argparse.Namespace) -> None:
    from bot.domain.export import to_json

    print(to_json(_gather(args)[0]), end="")


def _export(args: argparse.Namespace) -> None:
    from pathlib import Path

    from bot.domain.export import Format, report_files

    record, png = _gather(args, chart=bool(args.out) and args.format == Format.MD)
    report, *beside = report_files(record, Format(args.format), chart_png=png)
    if not args.out:
        sys.stdout.buffer.write(report.content)
        return
    out = Path(args.out)
    try:
        out.write_bytes(report.content)
        for extra in beside:
            (out.parent / extra.filename).write_bytes(extra.content)
    except OSError as problem:
        raise UserFacingError(f"cannot write {problem.filename or out}: {problem.strerror}") from None
    print(f"Wrote {out}" + "".join(f" and {out.parent / extra.filename}" for extra in beside) + ".")


def _remind(_args: argparse.Namespace) -> None:
    from bot.runtime import start
    from bot.app import sweep_approvals

    app, services = start(load_settings())
    for line in sweep_approvals.run(app.client, services) or ["nothing to remind or expire"]:
        print(line)


def _nudge(args: argparse.Namespace) -> None:
    from bot.runtime import start
    from bot.slack.nudge_sender import run_pages

    app, services = start(load_settings(), clock=_clock(args.at))
    sent = False
    for line in (line for lines in run_pages(app.client, services) for line in lines):  # printed a page at a time
        print(line, flush=True)
        sent = True
    if not sent:
        print(f"nothing to send at {services.clock.now().isoformat(timespec='minutes')}")


def _scheduler(args: argparse.Namespace) -> None:
    import signal
    import threading

    from bot.app import sweep_approvals
    from bot.runtime import start
    from bot.slack import nudge_sender
    from bot.slack.lifecycle import pause

    app, services = start(load_settings())
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    logger.info("Scheduler running: nudges, approval reminders and what is left in the outbox, every %s s", args.every)
    while not stopping.is_set():
        try:
            for lines in nudge_sender.run_pages(app.client, services):  # logged a page at a time
                for line in lines:
                    logger.info("%s", line)
            for line in sweep_approvals.run(app.client, services):
                logger.info("%s", line)
            services.outbox.deliver()
        except Exception:
            logger.exception("Scheduled run failed; trying again next time")
        pause(stopping, args.every)


def _clock(text: str | None):
    """The real clock, or one stopped at the moment --at gives."""
    from datetime import datetime

    from bot.clock import FixedClock, SystemClock

    if not text:
        return SystemClock()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"--at wants a time like 2026-11-23T10:00:00+00:00, not {text!r}") from None
    if moment.tzinfo is None:
        raise SettingsError("--at needs a timezone, e.g. 2026-11-23T10:00:00+00:00")
    return FixedClock(moment)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="readiness-bot", description="Production-readiness reviews in Slack.")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run in Socket Mode (needs SLACK_APP_TOKEN)").set_defaults(func=_run)
    serve = commands.add_parser("serve", help="serve HTTP: POST /slack/events and GET /healthz")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    serve.add_argument("--host", default="0.0.0.0")
    serve.set_defaults(func=_serve)
    commands.add_parser("work", help="act on the requests `serve` stores (serve starts it itself)").set_defaults(
        func=_work)
    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=_migrate)
    gate = commands.add_parser("gate", help="exit 0 only if the newest release request is approved and not stale")
    gate.add_argument("name", help="the initiative's name")
    gate.add_argument("--team", help="the Slack team id, when the name exists in several workspaces")
    gate.set_defaults(func=_gate)
    show = commands.add_parser("show", help="everything stored for an initiative, for scripts, audits and checks")
    show.add_argument("name", help="the initiative's name")
    show.add_argument("--json", action="store_true", required=True, help="print it as JSON (the only format yet)")
    show.add_argument("--team", help="the Slack team id, when the name exists in several workspaces")
    show.set_defaults(func=_show)
    export = commands.add_parser("export", help="the audit report of an initiative: Markdown, CSV or JSON")
    export.add_argument("name", help="the initiative's name")
    export.add_argument("--format", choices=["md", "csv", "json"], default="md",
                        help="md: the report to read; csv: one row per answer history entry; json: as `show --json`")
    export.add_argument("--out", help="write to this file (for md, the adoption chart goes beside it); else stdout")
    export.add_argument("--team", help="the Slack team id, when the name exists in several workspaces")
    export.set_defaults(func=_export)
    commands.add_parser("remind", help="remind pending release approvers, expire old requests").set_defaults(
        func=_remind)
    nudge = commands.add_parser("nudge", help="send the weekly check-ins, digests and nudges due now, once")
    nudge.add_argument("--at", help="act as if it were this moment (ISO 8601 with timezone)")
    nudge.set_defaults(func=_nudge)
    scheduler = commands.add_parser("scheduler", help="run nudges and approval reminders on a schedule")
    scheduler.add_argument("--every", type=int, default=300, help="seconds between runs (default 300)")
    scheduler.set_defaults(func=_scheduler)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        logs.configure()
        return args.func(args) or 0
    except (SettingsError, FrameworkError, UserFacingError) as problem:
        print(f"readiness-bot: {problem}", file=sys.stderr)
        return 2
    except (BoltError, SlackApiError) as problem:
        print(f"readiness-bot: {_slack_reason(problem)}", file=sys.stderr)
        return 2
    except URLError as problem:
        print(f"readiness-bot: cannot reach Slack at {load_settings(None).slack_api_url} ({problem.reason}); "
              "check the network or SLACK_API_URL.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _slack_reason(problem: Exception) -> str:
    if isinstance(problem, SlackApiError):
        code = problem.response.get("error")
        if code not in TOKEN_ERRORS:
            return f"Slack refused a call ({code}); the log says which. Run the command again later."
        return f"Slack did not accept the settings: {code} (check SLACK_BOT_TOKEN)"
    return f"Slack did not accept the settings: {problem}"


if __name__ == "__main__":
    sys.exit(main())
