"""How the command logs: plain lines, or one JSON object a line when LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from dotenv import load_dotenv

from bot.settings import SettingsError

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the fields given as `extra`, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({name: value for name, value in vars(record).items() if name not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure() -> None:
    """Log to stderr at LOG_LEVEL (default INFO), as LOG_FORMAT says: `text` (the default) or `json`; both are read
    from the environment or `.env`."""
    load_dotenv(".env")
    kind = os.environ.get("LOG_FORMAT", "").strip().lower() or "text"
    if kind not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT is {kind!r}; use `text` or `json`.")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if kind == "json" else logging.Formatter(PLAIN))
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)
