"""How often the configured model agrees with people's labels on the evaluation set (not a unit test).

Runs the bot's own assess prompt, with the same redaction, through OPENAI_API_KEY / OPENAI_BASE_URL /
OPENAI_MODEL, and prints agreement and a confusion table (rows: the label, columns: the model).

    OPENAI_API_KEY=sk-... .venv/bin/python tests/eval/run_eval.py [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.ai.assist import AIUnavailable, Assistant  # noqa: E402
from bot.framework import load_framework  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402

LABELS = ["met", "partly", "not_yet", "unclear"]
ITEMS = Path(__file__).with_name("answers.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N items")
    args = parser.parse_args()
    if not os.environ.get("OPENAI_API_KEY"):
        print("Set OPENAI_API_KEY (and OPENAI_BASE_URL / OPENAI_MODEL for another server or model).")
        return 2
    framework = load_framework()
    items = yaml.safe_load(ITEMS.read_text(encoding="utf-8"))["items"][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/eval.db")  # call records stay out of the bot's own database
        migrate(engine)
        assistant = Assistant(api_key=os.environ["OPENAI_API_KEY"], base_url=os.environ.get("OPENAI_BASE_URL"),
                              model=os.environ.get("OPENAI_MODEL") or "gpt-4o-mini", budget_seconds=60, engine=engine)
        confusion: Counter = Counter()
        failures = 0
        for n, item in enumerate(items, 1):
            question = framework.question(item["question"])
            try:
                proposed = assistant.assess(question.text, question.met_looks_like, item["reply"],
                                            workspace_id=None, initiative_id=None).status
            except AIUnavailable as why:
                proposed, failures = "failed", failures + 1
                print(f"  item {n}: {why}", file=sys.stderr)
            confusion[item["label"], proposed] += 1
    agreed = sum(confusion[label, label] for label in LABELS)
    print(f"model: {assistant.model}; items: {len(items)}; agreement: {agreed}/{len(items)} "
          f"({agreed / len(items):.0%}); failed calls: {failures}")
    columns = [*LABELS, "failed"]
    print("label / model".ljust(14) + "".join(f"{c:>9}" for c in columns))
    for label in LABELS:
        print(f"{label:<14}" + "".join(f"{confusion[label, c]:>9}" for c in columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
