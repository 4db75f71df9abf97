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
    Standard,
    StandardRef,
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


# ------------------------------------------------------------------ the gaps the seed articles name


def _asked(framework: Framework, question_id: str) -> set[str]:
    question = framework.question(question_id)
    assert question is not None, f"no question {question_id}"
    return {tier.value for tier in question.tiers}


@pytest.mark.parametrize(
    ("question_id", "tiers", "blocks_from", "seed"),
    [
        # which outside models and vendors, on what terms, and what if one changes or goes away
        ("change_control.vendor_dependence", {"medium", "high"}, Tier.HIGH, "004_63c94d105911837b.txt"),
        # today's process is written down before it is automated
        ("impact.current_process", {"medium", "high"}, Tier.MEDIUM, "002_981de09132e5f531.txt"),
        # pilot results from a production-like run on real data, not a demo
        ("quality.pilot_evidence", {"medium", "high"}, Tier.MEDIUM, "003_b36d0b8bc35f8d15.txt"),
        # who is affected, how a person overrides, and the override rate
        ("oversight.override", {"medium", "high"}, Tier.HIGH, "004_63c94d105911837b.txt"),
        # scale targets (volume, response time, cost per task) if usage doubles, medium and above
        ("scale.usage_doubles", {"medium", "high"}, Tier.HIGH, "002_981de09132e5f531.txt"),
        # a RACI from medium
        ("ownership.raci", {"medium", "high"}, Tier.MEDIUM, "004_63c94d105911837b.txt"),
        # fallback plans asked at every tier, blocking from medium
        ("change_control.fallback", {"low", "medium", "high"}, Tier.MEDIUM, "004_63c94d105911837b.txt"),
    ],
)
def test_seed_gaps_are_asked_at_the_tiers_where_they_belong(shipped, question_id, tiers, blocks_from, seed):
    question = shipped.question(question_id)
    assert _asked(shipped, question_id) == tiers
    assert question.blocks_from is blocks_from
    assert question.source.startswith(seed)


def test_scale_targets_are_asked_at_medium_and_high_but_not_low(shipped):
    asked = {tier: [q.id for q in shipped.questions_for(tier)] for tier in Tier}
    assert "scale.usage_doubles" not in asked[Tier.LOW]
    assert "scale.usage_doubles" in asked[Tier.MEDIUM] and "scale.usage_doubles" in asked[Tier.HIGH]
    question = shipped.question("scale.usage_doubles")
    for target in ("volume", "response time", "cost per task"):
        assert target in question.text, f"scale.usage_doubles should ask for the {target} target"
    assert question.evidence is not None and question.evidence.kind == "number"


def test_raci_is_asked_and_blocks_from_medium(shipped):
    raci = shipped.question("ownership.raci")
    assert raci in shipped.questions_for(Tier.MEDIUM) and raci not in shipped.questions_for(Tier.LOW)
    assert (raci.blocks_at(Tier.MEDIUM), raci.blocks_at(Tier.HIGH)) == (True, True)


def test_fallback_plans_block_from_medium_not_at_low(shipped):
    fallback = shipped.question("change_control.fallback")
    assert fallback in shipped.questions_for(Tier.LOW), "fallbacks are still asked at low"
    assert {tier.value: fallback.blocks_at(tier) for tier in Tier} == {"low": False, "medium": True, "high": True}


def test_override_question_asks_who_is_affected_and_tracks_an_override_rate(shipped):
    question = shipped.question("oversight.override")
    assert "affected" in question.text and "override" in question.text
    assert question.evidence is not None and question.evidence.kind == "number"
    assert "rate" in question.evidence.prompt


def test_vendor_dependence_is_not_applicable_without_an_outside_provider(shipped):
    question = shipped.question("change_control.vendor_dependence")
    assert question.allow_na
    assert "changes" in question.text and "stops" in question.text


def test_a_high_tier_review_stays_reasonable_in_length(shipped):
    assert len(shipped.questions_for(Tier.HIGH)) <= 45


# ------------------------------------------------------------------ standards tags


def test_shipped_standards_tags_are_described_under_references(shipped):
    described = {r.id for r in shipped.references}
    assert described == set(Standard)
    for reference in shipped.references:
        assert reference.title and reference.url.startswith("https://")
    tagged = [q for q in shipped.questions if q.standards]
    assert tagged, "some questions should be tagged with the standards they support"
    for q in tagged:
        assert {ref.standard for ref in q.standards} <= described, q.id


@pytest.mark.parametrize(
    ("question_id", "tag"),
    [
        ("oversight.sensitive_actions", "eu_ai_act:art14"),
        ("oversight.override", "eu_ai_act:art14"),
        ("oversight.override", "nist_ai_rmf:MANAGE-4.1"),
        ("visibility.activity_log", "eu_ai_act:art12"),
        ("visibility.activity_log", "iso_42001:A.6.2.8"),
        ("quality.pilot_evidence", "nist_ai_rmf:MEASURE-2.3"),
        ("change_control.vendor_dependence", "iso_42001:A.10.3"),
        ("ownership.raci", "nist_ai_rmf:GOVERN-2.1"),
    ],
)
def test_questions_carry_the_well_known_standards_tags(shipped, question_id, tag):
    assert tag in [str(ref) for ref in shipped.question(question_id).standards]


@pytest.mark.parametrize(
    ("tag", "label"),
    [
        ("eu_ai_act:art14", "EU AI Act Art. 14"),
        ("nist_ai_rmf:MANAGE-4.1", "NIST AI RMF MANAGE 4.1"),
        ("nist_ai_rmf:GOVERN-2", "NIST AI RMF GOVERN 2"),
        ("iso_42001:8.4", "ISO/IEC 42001 8.4"),
        ("iso_42001:A.6.2.8", "ISO/IEC 42001 A.6.2.8"),
    ],
)
def test_a_standards_tag_reads_as_its_label(tag, label):
    ref = StandardRef.model_validate(tag)
    assert (str(ref), ref.label) == (tag, label)


def test_questions_supporting_a_standard_and_its_citation(shipped):
    human_oversight = [q.id for q in shipped.questions_supporting("eu_ai_act")
                       if any(str(r) == "eu_ai_act:art14" for r in q.standards)]
    assert "oversight.sensitive_actions" in human_oversight
    assert "eur-lex.europa.eu" in shipped.reference(Standard.EU_AI_ACT).url
    assert shipped.reference("nist_ai_rmf").title.startswith("NIST AI 100-1")


def test_a_question_without_standards_has_none(shipped):
    assert _question("low").standards == ()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("iso_9001:4.1", "unknown standard 'iso_9001'"),
        ("eu_ai_act:article14", "is not an article of the EU AI Act"),
        ("eu_ai_act:art114", "is not an article of the EU AI Act"),
        ("nist_ai_rmf:MANAGE-9", "is not a category or subcategory of the NIST AI RMF"),
        ("nist_ai_rmf:MEASURE-2.14", "is not a category or subcategory of the NIST AI RMF"),
        ("nist_ai_rmf:manage-4.1", "is not a category or subcategory of the NIST AI RMF"),
        ("iso_42001:11.1", "is not a clause or Annex A control of ISO/IEC 42001"),
        ("iso_42001:A.6.2.9", "is not a clause or Annex A control of ISO/IEC 42001"),
        ("art14", "should be standard:clause"),
        ("eu_ai_act:", "should be standard:clause"),
    ],
)
def test_unknown_standard_or_malformed_clause_is_refused_in_one_line(tmp_path, raw, tag, expected):
    question_entry(raw, "trust.sources")["standards"] = ["eu_ai_act:art13", tag]
    message = load_error(write(tmp_path, raw))
    assert "question trust.sources" in message
    assert "standards" in message
    assert tag in message
    assert expected in message


def test_same_standards_tag_twice_is_refused(tmp_path, raw):
    question_entry(raw, "trust.sources")["standards"] = ["eu_ai_act:art13", "eu_ai_act:art13"]
    message = load_error(write(tmp_path, raw))
    assert "question trust.sources" in message
    assert "eu_ai_act:art13 twice" in message


def test_standard_not_described_under_references_is_refused(tmp_path, raw):
    raw["references"] = [r for r in raw["references"] if r["id"] != "iso_42001"]
    message = load_error(write(tmp_path, raw))
    assert "iso_42001" in message
    assert "references" in message
    assert "question " in message


def test_reference_to_an_unknown_standard_is_named(tmp_path, raw):
    raw["references"].append({"id": "iso_9001", "title": "Quality management systems", "url": "https://www.iso.org/"})
    message = load_error(write(tmp_path, raw))
    assert "reference iso_9001" in message
    assert "eu_ai_act" in message, "the message should say which standards are known"


def test_reference_without_a_url_is_named(tmp_path, raw):
    del raw["references"][0]["url"]
    message = load_error(write(tmp_path, raw))
    assert "reference eu_ai_act" in message
    assert "url" in message


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
