"""The readiness framework file: the shipped one is sound, and a broken one stops start-up with one clear line."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.framework import (
    DEFAULT_FRAMEWORK_PATH,
    Framework,
    FrameworkError,
    Question,
    Tier,
    load_framework,
)

AREAS = (
    "ownership", "impact", "integration", "trust", "quality", "rules",
    "oversight", "visibility", "change_control", "adoption", "scale",
)
# The articles in /work/shared/seeds the questions are drawn from (hard-coded on purpose: tests do not read /work/shared).
SEED_FILES = (
    "000_14c34cc8f9d7a0d8.txt",
    "001_b768c0b6ac8fa63a.txt",
    "002_981de09132e5f531.txt",
    "003_b36d0b8bc35f8d15.txt",
    "004_63c94d105911837b.txt",
)
CLI = Path(sys.executable).parent / "readiness-bot"


@pytest.fixture(scope="module")
def shipped() -> Framework:
    return load_framework(DEFAULT_FRAMEWORK_PATH)


@pytest.fixture
def raw() -> dict:
    """The shipped framework as plain data, to break one thing at a time."""
    return yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))


def question_entry(raw: dict, question_id: str) -> dict:
    return next(q for q in raw["questions"] if q["id"] == question_id)


def write(tmp_path: Path, data: dict | str, name: str = "framework.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert "\n" not in message, f"FrameworkError should be one line, got: {message!r}"
    assert str(path) in message, f"FrameworkError should name the file: {message!r}"
    return message


# ------------------------------------------------------------------ the shipped framework


def test_shipped_framework_loads(shipped):
    assert shipped.name and shipped.version
    assert shipped.questions


def test_shipped_framework_covers_every_readiness_area(shipped):
    assert {a.id for a in shipped.areas} == set(AREAS)
    for area in AREAS:
        assert any(q.area == area for q in shipped.questions), f"area {area} has no questions"


def test_low_tier_asks_fewer_questions_than_medium_and_medium_fewer_than_high(shipped):
    low, medium, high = (len(shipped.questions_for(t)) for t in (Tier.LOW, Tier.MEDIUM, Tier.HIGH))
    assert 0 < low < medium < high


def test_every_question_is_asked_at_high(shipped):
    assert [q.id for q in shipped.questions_for(Tier.HIGH)] == [q.id for q in shipped.questions]


def test_every_question_cites_one_of_the_seed_articles(shipped):
    for q in shipped.questions:
        cited = [name for name in SEED_FILES if name in q.source]
        assert len(cited) == 1, f"question {q.id}: source {q.source!r} names none (or several) of {SEED_FILES}"
        assert q.source.startswith(cited[0]), f"question {q.id}: source should start with the file name"


def test_every_seed_article_is_cited_by_some_question(shipped):
    sources = " ".join(q.source for q in shipped.questions)
    assert [name for name in SEED_FILES if name not in sources] == []


def _question(blocks_from: str | None) -> Question:
    return Question.model_validate({
        "id": "trust.sources", "area": "trust", "text": "Can people see the sources?", "why": "Trust.",
        "met_looks_like": "Sources are shown.", "tiers": ["low", "medium", "high"], "blocks_from": blocks_from,
        "owner": "technical_owner", "next_step": "Show sources.", "source": SEED_FILES[0],
    })


@pytest.mark.parametrize(
    ("blocks_from", "blocks"),
    [
        ("low", {"low": True, "medium": True, "high": True}),
        ("medium", {"low": False, "medium": True, "high": True}),
        ("high", {"low": False, "medium": False, "high": True}),
        (None, {"low": False, "medium": False, "high": False}),
    ],
)
def test_question_blocks_release_from_its_tier_upwards(blocks_from, blocks):
    question = _question(blocks_from)
    assert {tier.value: question.blocks_at(tier) for tier in Tier} == blocks


def test_shipped_questions_block_consistently_with_their_blocks_from(shipped):
    for q in shipped.questions:
        for tier in Tier:
            expected = q.blocks_from is not None and list(Tier).index(tier) >= list(Tier).index(q.blocks_from)
            assert q.blocks_at(tier) is expected, (q.id, tier)


# ------------------------------------------------------------------ broken framework files


def test_invalid_yaml_is_reported_with_the_file_and_line(tmp_path):
    path = write(tmp_path, "name: [unclosed\nversion: 1\n")
    message = load_error(path)
    assert "YAML" in message
    assert "line" in message


def test_question_missing_a_required_field_is_named(tmp_path, raw):
    del question_entry(raw, "trust.sources")["owner"]
    message = load_error(write(tmp_path, raw))
    assert "question trust.sources" in message
    assert "owner" in message
    assert "required" in message.lower()


def test_question_with_an_unknown_area_is_named(tmp_path, raw):
    question_entry(raw, "trust.sources")["area"] = "astrology"
    message = load_error(write(tmp_path, raw))
    assert "question trust.sources" in message
    assert "astrology" in message


def test_blocks_from_an_unknown_tier_is_named(tmp_path, raw):
    question_entry(raw, "trust.sources")["blocks_from"] = "extreme"
    message = load_error(write(tmp_path, raw))
    assert "question trust.sources" in message
    assert "blocks_from" in message
    assert "low" in message and "high" in message, "the message should say which tiers are allowed"


def test_duplicate_question_id_is_named(tmp_path, raw):
    duplicate = copy.deepcopy(question_entry(raw, "trust.sources"))
    duplicate["text"] = "The same id again?"
    raw["questions"].append(duplicate)
    message = load_error(write(tmp_path, raw))
    assert "question" in message and "trust.sources" in message
    assert "twice" in message


def test_misspelt_question_key_is_named(tmp_path, raw):
    entry = question_entry(raw, "trust.sources")
    entry["blocks_form"] = entry.pop("blocks_from")
    message = load_error(write(tmp_path, raw))
    assert "question trust.sources" in message
    assert "blocks_form" in message
    assert "not permitted" in message


def test_missing_framework_file_is_reported(tmp_path):
    path = tmp_path / "nowhere" / "framework.yaml"
    message = load_error(path)
    assert "cannot be read" in message


def test_framework_file_not_in_utf8_is_reported(tmp_path, raw):
    question_entry(raw, "trust.sources")["text"] = "Can people see the sources of an answer, résumé included?"
    path = tmp_path / "framework.yaml"
    path.write_bytes(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).encode("cp1252"))
    assert "not UTF-8" in load_error(path)


# ------------------------------------------------------------------ the readiness-bot command


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "READINESS_", "DATABASE_URL", "PORT", "LOG_LEVEL"))}
    return subprocess.run(
        [str(CLI), *args], cwd=tmp_path, env={**base, **env},
        capture_output=True, text=True, timeout=60,
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, f"exit {result.returncode}; stderr: {result.stderr}"
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    return lines[0]


def test_serve_refuses_to_start_with_a_broken_framework_in_one_line(tmp_path, raw):
    question_entry(raw, "trust.sources")["blocks_from"] = "extreme"
    broken = write(tmp_path, raw, "broken.yaml")
    result = run_cli(
        tmp_path, "serve", "--port", "0",
        READINESS_FRAMEWORK=str(broken), SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    line = one_error_line(result)
    assert str(broken) in line
    assert "question trust.sources" in line


def test_serve_without_a_bot_token_says_where_to_get_one(tmp_path):
    result = run_cli(tmp_path, "serve", "--port", "0", SLACK_SIGNING_SECRET="s",
                     DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    line = one_error_line(result)
    assert "SLACK_BOT_TOKEN" in line
    assert "api.slack.com/apps" in line


def test_run_without_an_app_token_says_where_to_get_one(tmp_path):
    result = run_cli(tmp_path, "run", SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s",
                     DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    line = one_error_line(result)
    assert "SLACK_APP_TOKEN" in line
    assert "api.slack.com/apps" in line
