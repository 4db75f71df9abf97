"""The readiness-bot command: run (Socket Mode), serve (HTTP), migrate."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from slack_bolt.error import BoltError

from bot.framework import FrameworkError
from bot.settings import SettingsError, load_settings

logger = logging.getLogger("bot")


def _run(_args: argparse.Namespace) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.runtime import start

    settings = load_settings()
    settings.require("SLACK_APP_TOKEN")
    app, _ = start(settings, required=("SLACK_BOT_TOKEN",))
    logger.info("Readiness Bot is running in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token).start()


def _serve(args: argparse.Namespace) -> None:
    from bot.runtime import start
    from bot.slack.server import make_server

    app, services = start(load_settings(), required=("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"))
    server = make_server(app, services.engine, host=args.host, port=args.port)
    logger.info("Readiness Bot is serving on http://%s:%s/slack/events", args.host, server.effective_port)
    server.run()


def _migrate(_args: argparse.Namespace) -> None:
    from storage.db import make_engine, migrate

    settings = load_settings()
    migrate(make_engine(settings.database_url))
    print("Database is at the newest schema.")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="readiness-bot", description="Production-readiness reviews in Slack.")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run in Socket Mode (needs SLACK_APP_TOKEN)").set_defaults(func=_run)
    serve = commands.add_parser("serve", help="serve HTTP: POST /slack/events and GET /healthz")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    serve.add_argument("--host", default="0.0.0.0")
    serve.set_defaults(func=_serve)
    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=_migrate)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (SettingsError, FrameworkError) as problem:
        print(f"readiness-bot: {problem}", file=sys.stderr)
        return 2
    except BoltError as problem:
        print(f"readiness-bot: Slack did not accept the settings: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
