"""Block Kit builders, called directly with domain objects: valid Block Kit, safe echoes, the right buttons."""

from __future__ import annotations

import pytest

from bot.domain.initiatives import NAME_MAX
from bot.domain.summary import Verdict, summarize
from bot.framework import DEFAULT_FRAMEWORK_PATH, Framework, Tier, load_framework
from bot.slack.blocks.messages import (
    build_question_message,
    build_root_message,
    build_status_message,
    build_summary_messages,
)
from bot.slack.ids import Action, question_ref
from storage.models import AnswerStatus, Initiative
from tests.builders import (
    BUSINESS_OWNER,
    REVIEW_ID,
    TECHNICAL_OWNER,
    huge_framework,
    make_initiative,
    make_state,
)


@pytest.fixture(scope="module")
def huge() -> Framework:
    framework = huge_framework()
    assert len(framework.questions) == 300 and len(framework.areas) == 60
    assert all(len(q.text) == 300 and len(q.next_step) == 400 for q in framework.questions)
    return framework


@pytest.fixture(scope="module")
def long_named() -> Initiative:
    return make_initiative(name=("A very long initiative name " * 5)[:NAME_MAX])


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(DEFAULT_FRAMEWORK_PATH)


# ------------------------------------------------------------------ checking Block Kit limits


def _text_problems(where: str, obj: dict | None, limit: int, plain: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: missing text object"]
    problems = []
    text = obj.get("text", "")
    if obj.get("type") not in ("plain_text", "mrkdwn") or (plain and obj["type"] != "plain_text"):
        problems.append(f"{where}: bad text type {obj.get('type')!r}")
    if not text.strip():
        problems.append(f"{where}: empty text")
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} characters > {limit}")
    return problems


def block_kit_problems(fallback: str, blocks: list[dict]) -> list[str]:
    """What Slack would reject in a chat.postMessage with this text and these blocks."""
    problems = []
    if not fallback.strip():
        problems.append("empty fallback text")
    if len(fallback) > 4000:
        problems.append(f"fallback text {len(fallback)} characters > 4000")
    if not 1 <= len(blocks) <= 50:
        problems.append(f"{len(blocks)} blocks (must be 1 to 50)")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("repeated block_id")
    for i, block in enumerate(blocks):
        where = f"block {i} ({block.get('type')})"
        kind = block.get("type")
        if kind == "header":
            problems += _text_problems(where, block.get("text"), 150, plain=True)
        elif kind == "section":
            problems += _text_problems(where, block.get("text"), 3000)
            accessory = block.get("accessory")
            if accessory:
                problems += _element_problems(f"{where} accessory", accessory)
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}: {len(elements)} elements")
            for j, element in enumerate(elements):
                problems += _text_problems(f"{where} element {j}", element, 3000)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}: {len(elements)} elements")
            action_ids = [e.get("action_id") for e in elements]
            if len(action_ids) != len(set(action_ids)):
                problems.append(f"{where}: repeated action_id")
            for j, element in enumerate(elements):
                problems += _element_problems(f"{where} element {j}", element)
        elif kind != "divider":
            problems.append(f"{where}: unexpected block type")
    return problems


def _element_problems(where: str, element: dict) -> list[str]:
    problems = []
    if element.get("type") == "button":
        problems += _text_problems(where, element.get("text"), 75, plain=True)
        if len(element.get("value", "")) > 2000:
            problems.append(f"{where}: value too long")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}: bad style")
    elif element.get("type") == "static_select":
        options = element.get("options") or []
        if not 1 <= len(options) <= 100:
            problems.append(f"{where}: {len(options)} options (must be 1 to 100)")
        for k, option in enumerate(options):
            problems += _text_problems(f"{where} option {k}", option.get("text"), 75, plain=True)
            if not 1 <= len(option.get("value", "")) <= 150:
                problems.append(f"{where} option {k}: value length {len(option.get('value', ''))}")
        values = [o.get("value") for o in options]
        if len(values) != len(set(values)):
            problems.append(f"{where}: repeated option value")
    else:
        problems.append(f"{where}: unexpected element type {element.get('type')!r}")
    return problems


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    """Every mrkdwn text in the blocks: where Slack would ping or format."""
    texts = []
    for block in blocks:
        for obj in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                texts.append(obj["text"])
    return texts


def all_texts(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        for obj in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(obj, dict):
                out.append(obj["text"]["text"] if isinstance(obj.get("text"), dict) else obj.get("text", ""))
    return "\n".join(out)


def buttons(blocks: list[dict]) -> dict[str, dict]:
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    return {e["text"]["text"]: e for e in actions[0]["elements"]}


# ------------------------------------------------------------------ summary


def test_summary_of_a_huge_framework_stays_within_slack_limits(huge, long_named):
    state = make_state(huge, initiative=long_named,
                       answers={q.id: AnswerStatus.NOT_YET for q in huge.questions})
    summary = summarize(state)
    assert len(summary.conditions) == 300
    messages = build_summary_messages(summary, huge)
    assert len(messages) >= 2, "300 long conditions cannot fit in one message"
    for n, (fallback, blocks) in enumerate(messages):
        assert block_kit_problems(fallback, blocks) == [], f"message {n}"


def test_summary_of_a_huge_framework_lists_every_condition(huge):
    state = make_state(huge, answers={q.id: AnswerStatus.NOT_YET for q in huge.questions})
    messages = build_summary_messages(summarize(state), huge)
    shown = "\n".join(all_texts(blocks) for _, blocks in messages)
    missing = [q.id for q in huge.questions if q.text[:60] not in shown]
    assert missing == []
    assert "Next do" in shown and f"<@{BUSINESS_OWNER}>" in shown and f"<@{TECHNICAL_OWNER}>" in shown


def test_summary_lists_blocking_conditions_before_the_others(huge):
    state = make_state(huge, answers={q.id: AnswerStatus.NOT_YET for q in huge.questions})
    summary = summarize(state)
    shown = "\n".join(all_texts(blocks) for _, blocks in build_summary_messages(summary, huge))
    blocking = [shown.index(c.question.text[:60]) for c in summary.conditions if c.blocking]
    others = [shown.index(c.question.text[:60]) for c in summary.conditions if not c.blocking]
    assert blocking and others
    assert max(blocking) < min(others)


def test_summary_of_the_shipped_framework_fits_and_says_not_ready(framework):
    state = make_state(framework, "high", answers={q.id: AnswerStatus.NOT_YET for q in framework.questions})
    messages = build_summary_messages(summarize(state), framework)
    for fallback, blocks in messages:
        assert block_kit_problems(fallback, blocks) == []
    first_fallback, first_blocks = messages[0]
    assert first_blocks[0]["type"] == "header"
    assert "Not ready" in all_texts(first_blocks)
    assert first_fallback.startswith("Readiness summary")


def test_summary_of_a_fully_met_review_says_ready(framework):
    state = make_state(framework, "low", answers={q.id: AnswerStatus.MET for q in framework.questions_for(Tier.LOW)})
    summary = summarize(state)
    assert summary.verdict is Verdict.READY
    [(fallback, blocks)] = build_summary_messages(summary, framework)
    assert block_kit_problems(fallback, blocks) == []
    assert "Every condition is met" in all_texts(blocks)


def test_summary_fallback_escapes_the_initiative_name(framework):
    initiative = make_initiative("low", name="Ops <!channel> & co")
    state = make_state(framework, "low", initiative=initiative)
    for fallback, blocks in build_summary_messages(summarize(state), framework):
        assert "<!channel>" not in fallback
        assert all("<!channel>" not in t for t in mrkdwn_texts(blocks))


# ------------------------------------------------------------------ status


def test_status_of_a_huge_framework_stays_within_slack_limits(huge, long_named):
    answers = {q.id: [AnswerStatus.MET, AnswerStatus.SKIPPED, AnswerStatus.PARTLY][i % 3]
               for i, q in enumerate(huge.questions[:200])}
    fallback, blocks = build_status_message(make_state(huge, initiative=long_named, answers=answers))
    assert block_kit_problems(fallback, blocks) == []
    selects = [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "static_select"]
    assert len(selects) >= 3
    assert all(len(s["options"]) <= 100 for s in selects)
    assert all(len(o["text"]["text"]) <= 75 for s in selects for o in s["options"])


def test_status_menus_reach_every_question(huge):
    fallback, blocks = build_status_message(make_state(huge))
    values = [o["value"] for b in blocks if "accessory" in b for o in b["accessory"]["options"]]
    assert values == [question_ref(REVIEW_ID, q.id) for q in huge.questions]
    assert all(b["accessory"]["action_id"] == Action.REVISIT_QUESTION for b in blocks if "accessory" in b)


def test_status_escapes_the_initiative_name(framework):
    initiative = make_initiative("low", name="Ops <!channel> & co")
    fallback, blocks = build_status_message(make_state(framework, "low", initiative=initiative))
    assert "<!channel>" not in fallback
    assert all("<!channel>" not in t for t in mrkdwn_texts(blocks))
    assert "Ops &lt;!channel&gt; &amp; co" in fallback


# ------------------------------------------------------------------ question


def _question(framework: Framework, *, allow_na: bool):
    return next(q for q in framework.questions_for(Tier.HIGH) if q.allow_na is allow_na)


def test_question_offers_na_only_when_the_question_allows_it(framework):
    state = make_state(framework)
    with_na = _question(framework, allow_na=True)
    without_na = _question(framework, allow_na=False)
    _, blocks = build_question_message(state, with_na)
    assert set(buttons(blocks)) == {"Met", "Partly", "Not yet", "N/A", "Skip for now"}
    _, blocks = build_question_message(state, without_na)
    assert set(buttons(blocks)) == {"Met", "Partly", "Not yet", "Skip for now"}


@pytest.mark.parametrize(
    ("status", "label"),
    [(AnswerStatus.MET, "Met"), (AnswerStatus.PARTLY, "Partly"), (AnswerStatus.NOT_YET, "Not yet"),
     (AnswerStatus.NA, "N/A")],
)
def test_question_marks_the_current_answer_as_primary(framework, status, label):
    question = _question(framework, allow_na=True)
    # an earlier, different answer must not be the one marked
    earlier = AnswerStatus.NOT_YET if status is not AnswerStatus.NOT_YET else AnswerStatus.MET
    state = make_state(framework, answers=[(question.id, earlier), (question.id, status)])
    fallback, blocks = build_question_message(state, question)
    assert block_kit_problems(fallback, blocks) == []
    styled = {text: b.get("style") for text, b in buttons(blocks).items()}
    assert styled.pop(label) == "primary"
    assert set(styled.values()) == {None}


@pytest.mark.parametrize("status", [AnswerStatus.MET, AnswerStatus.PARTLY, AnswerStatus.NOT_YET, AnswerStatus.NA])
def test_question_hides_skip_once_answered(framework, status):
    question = _question(framework, allow_na=True)
    state = make_state(framework, answers={question.id: status})
    _, blocks = build_question_message(state, question)
    assert "Skip for now" not in buttons(blocks)


@pytest.mark.parametrize("answers", [{}, "skipped"])
def test_question_offers_skip_while_unanswered_or_skipped(framework, answers):
    question = _question(framework, allow_na=False)
    state = make_state(framework, answers={question.id: AnswerStatus.SKIPPED} if answers else {})
    _, blocks = build_question_message(state, question)
    shown = buttons(blocks)
    assert shown["Skip for now"]["action_id"] == Action.SKIP
    assert all(b.get("style") is None for b in shown.values()), "a skip is not an answer to highlight"


def test_question_buttons_name_the_review_and_question(framework):
    question = _question(framework, allow_na=True)
    _, blocks = build_question_message(make_state(framework), question)
    assert {b["value"] for b in buttons(blocks).values()} == {question_ref(REVIEW_ID, question.id)}


def test_question_shows_position_and_texts(framework):
    question = framework.questions_for(Tier.MEDIUM)[2]
    fallback, blocks = build_question_message(make_state(framework, "medium"), question)
    shown = all_texts(blocks)
    total = len(framework.questions_for(Tier.MEDIUM))
    assert f"Question 3 of {total}" in shown and f"Question 3 of {total}" in fallback
    assert question.text in shown and question.why in shown and question.met_looks_like in shown


def test_question_shows_evidence_defused(framework):
    question = next(q for q in framework.questions_for(Tier.HIGH) if q.evidence)
    text = "done <!channel> <!here> ask <@U999|eve>, see <https://wiki.example.com/x|the runbook> &amp;lt;3"
    state = make_state(framework, answers={question.id: AnswerStatus.MET}, evidence={question.id: text})
    fallback, blocks = build_question_message(state, question)
    assert block_kit_problems(fallback, blocks) == []
    evidence_texts = [t for t in mrkdwn_texts(blocks) if "Evidence" in t]
    assert len(evidence_texts) == 1
    shown = evidence_texts[0]
    assert "<!" not in shown and "<@" not in shown
    assert "<https://wiki.example.com/x|the runbook>" in shown
    assert all("<!channel>" not in t and "<!here>" not in t for t in mrkdwn_texts(blocks))
    assert "<!channel>" not in fallback


def test_question_shows_long_evidence_shortened(framework):
    question = next(q for q in framework.questions_for(Tier.HIGH) if q.evidence)
    state = make_state(framework, answers={question.id: AnswerStatus.MET},
                       evidence={question.id: "We measured it carefully. " * 400})
    fallback, blocks = build_question_message(state, question)
    assert block_kit_problems(fallback, blocks) == []
    [shown] = [t for t in mrkdwn_texts(blocks) if "Evidence" in t]
    assert shown.endswith("…") and len(shown) < 400


def test_question_with_maximum_length_texts_stays_within_slack_limits(huge):
    question = huge.questions[-1]
    state = make_state(huge, answers={question.id: AnswerStatus.PARTLY}, evidence={question.id: "x" * 50_000})
    fallback, blocks = build_question_message(state, question)
    assert block_kit_problems(fallback, blocks) == []


# ------------------------------------------------------------------ root


def test_root_message_escapes_the_initiative_name_and_purpose(framework):
    initiative = make_initiative("medium", name="Ops <!channel> & co", purpose="Pings <!here> & <@U999> daily")
    fallback, blocks = build_root_message(initiative, framework, started_by="U0STARTER")
    assert block_kit_problems(fallback, blocks) == []
    texts = mrkdwn_texts(blocks)
    assert texts
    for text in [fallback, *texts]:
        assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text
    assert "Ops &lt;!channel&gt; &amp; co" in fallback
    assert "Pings &lt;!here&gt; &amp; &lt;@U999&gt; daily" in "\n".join(texts)


def test_root_message_names_the_tier_owners_and_date(framework):
    fallback, blocks = build_root_message(make_initiative("high"), framework, started_by="U0STARTER")
    shown = all_texts(blocks)
    assert framework.tier_info(Tier.HIGH).label in shown
    assert f"<@{BUSINESS_OWNER}>" in shown and f"<@{TECHNICAL_OWNER}>" in shown
    assert "2026-06-01" in shown
    assert "Invoice assistant" in fallback


def test_root_message_with_a_long_name_and_purpose_stays_within_slack_limits(framework):
    initiative = make_initiative(name="N" * NAME_MAX, purpose="A long purpose & more. " * 2000)
    fallback, blocks = build_root_message(initiative, framework, started_by="U0STARTER")
    assert block_kit_problems(fallback, blocks) == []
