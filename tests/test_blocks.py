"""Block Kit builders, called directly with domain objects: valid Block Kit, safe echoes, the right buttons."""

from __future__ import annotations

import pytest

from bot.domain.initiatives import NAME_MAX
from bot.framework import DEFAULT_FRAMEWORK_PATH, Framework, Tier, load_framework
from bot.slack.blocks.checklist import build_checklist, parts
from bot.slack.blocks.messages import build_root_message, build_status_message, status_label
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


# ------------------------------------------------------------------ checklist


def _question(framework: Framework, *, allow_na: bool):
    return next(q for q in framework.questions_for(Tier.HIGH) if q.allow_na is allow_na)


def _checklist(state, question, *, in_dm: bool = False) -> tuple[str, list[dict]]:
    """The checklist message holding `question`, as its owner gets it."""
    person, part, questions = next(p for p in parts(state) if question in p[2])
    return build_checklist(state, person, questions, part=part, in_dm=in_dm)


def _line_and_buttons(blocks: list[dict], question) -> tuple[str, dict[str, dict]]:
    """The question's line and its buttons by label."""
    n = next(i for i, b in enumerate(blocks) if b.get("block_id") == f"answer_{question.id}")
    assert blocks[n - 1]["type"] == "section"
    return blocks[n - 1]["text"]["text"], {e["text"]["text"]: e for e in blocks[n]["elements"]}


def test_checklist_offers_na_only_where_the_question_allows_it(framework):
    state = make_state(framework)
    _, with_na = _line_and_buttons(_checklist(state, _question(framework, allow_na=True))[1],
                                   _question(framework, allow_na=True))
    _, without_na = _line_and_buttons(_checklist(state, _question(framework, allow_na=False))[1],
                                      _question(framework, allow_na=False))
    assert list(with_na) == ["Met", "Partly", "Not yet", "N/A", "More"]
    assert list(without_na) == ["Met", "Partly", "Not yet", "More"]


@pytest.mark.parametrize(
    ("status", "label"),
    [(AnswerStatus.MET, "Met"), (AnswerStatus.PARTLY, "Partly"), (AnswerStatus.NOT_YET, "Not yet"),
     (AnswerStatus.NA, "N/A")],
)
def test_checklist_marks_the_chosen_answer_primary(framework, status, label):
    question = _question(framework, allow_na=True)
    # an earlier, different answer must not be the one marked
    earlier = AnswerStatus.NOT_YET if status is not AnswerStatus.NOT_YET else AnswerStatus.MET
    state = make_state(framework, answers=[(question.id, earlier), (question.id, status)])
    fallback, blocks = _checklist(state, question)
    assert block_kit_problems(fallback, blocks) == []
    line, shown = _line_and_buttons(blocks, question)
    styled = {text: b.get("style") for text, b in shown.items()}
    assert styled.pop(label) == "primary"
    assert set(styled.values()) == {None}
    assert f"{status_label(status)} by <@U0ANSWERER>" in line


@pytest.mark.parametrize("answers", [{}, "skipped before skips were removed"])
def test_checklist_leaves_an_open_question_plain(framework, answers):
    question = _question(framework, allow_na=False)
    state = make_state(framework, answers={question.id: AnswerStatus.SKIPPED} if answers else {})
    line, shown = _line_and_buttons(_checklist(state, question)[1], question)
    assert all(b.get("style") is None for b in shown.values()), "an open question has no answer to highlight"
    assert " by <@" not in line and "📎" not in line


def test_checklist_buttons_name_the_review_and_question(framework):
    question = _question(framework, allow_na=True)
    _, shown = _line_and_buttons(_checklist(make_state(framework), question)[1], question)
    assert {b["value"] for b in shown.values()} == {question_ref(REVIEW_ID, question.id)}
    assert shown["More"]["action_id"] == Action.QUESTION_DETAILS
    assert [b["action_id"] for b in shown.values()][:3] == [Action.ANSWER_MET, Action.ANSWER_PARTLY,
                                                            Action.ANSWER_NOT_YET]


def test_checklist_holds_the_owners_questions_numbered_in_review_order(framework):
    state = make_state(framework, "medium")
    for person, part, questions in parts(state):
        fallback, blocks = build_checklist(state, person, questions, part=part, in_dm=False)
        assert block_kit_problems(fallback, blocks) == []
        assert all(state.owner_id(q) == person for q in questions)
        mine = len(state.by_owner()[person])
        assert fallback == f"{mine} questions for <@{person}> in the readiness review of Invoice assistant"
        for question in questions:
            line, _ = _line_and_buttons(blocks, question)
            assert line == f"*{state.position(question)[0]}.* {question.text}"
    assert sorted(q.id for _, _, qs in parts(state) for q in qs) == sorted(q.id for q in state.questions)


def test_checklist_says_where_to_reply(framework):
    state = make_state(framework)
    question = state.questions[0]
    heading = _checklist(state, question)[1][0]["text"]["text"]
    assert f"<@{state.owner_id(question)}>" in heading and "in this thread" in heading
    heading = _checklist(state, question, in_dm=True)[1][0]["text"]["text"]
    assert "*Invoice assistant*" in heading and "reply here" in heading


def test_checklist_asks_for_evidence_while_met_or_partly_lacks_it(framework):
    question = next(q for q in framework.questions_for(Tier.HIGH) if q.evidence and q.evidence.kind == "link")
    ask = f"📎 _{question.evidence.prompt}_"
    for status, evidence, asked in [(AnswerStatus.MET, None, "Reply with it here"),
                                    (AnswerStatus.PARTLY, None, "Reply with it here"),
                                    (AnswerStatus.MET, "Ask Dana in accounts payable", "Reply here"),
                                    (AnswerStatus.NOT_YET, None, None),
                                    (AnswerStatus.MET, "See https://wiki.example.com/invoices", None)]:
        state = make_state(framework, answers={question.id: status},
                           evidence={question.id: evidence} if evidence else None)
        line, _ = _line_and_buttons(_checklist(state, question)[1], question)
        if asked:
            assert f"{ask} {asked}, or use More." in line, (status, evidence)
        else:
            assert ask not in line, (status, evidence)
        if evidence:
            assert f"· 📎 {evidence}" in line, "the evidence given is shown"


def test_checklist_shows_evidence_defused(framework):
    question = next(q for q in framework.questions_for(Tier.HIGH) if q.evidence)
    text = "done <!channel> <!here> ask <@U999|eve>, see <https://wiki.example.com/x|the runbook>"
    state = make_state(framework, answers={question.id: AnswerStatus.MET}, evidence={question.id: text})
    fallback, blocks = _checklist(state, question)
    assert block_kit_problems(fallback, blocks) == []
    line, _ = _line_and_buttons(blocks, question)
    assert "<!" not in line and "<@U999" not in line
    assert all("<!channel>" not in t and "<!here>" not in t for t in mrkdwn_texts(blocks))
    assert "<!channel>" not in fallback


def test_checklist_shows_long_evidence_shortened(framework):
    question = next(q for q in framework.questions_for(Tier.HIGH) if q.evidence)
    state = make_state(framework, answers={question.id: AnswerStatus.MET},
                       evidence={question.id: "We measured it carefully. " * 400})
    fallback, blocks = _checklist(state, question)
    assert block_kit_problems(fallback, blocks) == []
    line, _ = _line_and_buttons(blocks, question)
    shown = line.split("📎 ", 1)[1].split("\n", 1)[0]
    assert shown.endswith("…") and len(shown) <= 80


def test_checklist_escapes_the_initiative_name(framework):
    initiative = make_initiative("low", name="Ops <!channel> & co")
    state = make_state(framework, "low", initiative=initiative)
    for in_dm in (False, True):
        fallback, blocks = _checklist(state, state.questions[0], in_dm=in_dm)
        assert "<!channel>" not in fallback and "Ops &lt;!channel&gt; &amp; co" in fallback
        assert all("<!channel>" not in t for t in mrkdwn_texts(blocks))


def test_checklist_with_maximum_length_texts_stays_within_slack_limits(huge):
    answers = {q.id: AnswerStatus.PARTLY for q in huge.questions}
    state = make_state(huge, answers=answers, evidence={q.id: "x" * 50_000 for q in huge.questions})
    for person, part, questions in parts(state):
        for in_dm in (False, True):
            fallback, blocks = build_checklist(state, person, questions, part=part, in_dm=in_dm)
            assert block_kit_problems(fallback, blocks) == [], (person, part)


# ------------------------------------------------------------------ root


def _root(initiative, framework, *, in_dm: bool = False) -> tuple[str, list[dict]]:
    return build_root_message(initiative, framework, review_id=REVIEW_ID, started_by="U0STARTER", in_dm=in_dm)


def test_root_message_escapes_the_initiative_name_and_purpose(framework):
    initiative = make_initiative("medium", name="Ops <!channel> & co", purpose="Pings <!here> & <@U999> daily")
    fallback, blocks = _root(initiative, framework)
    assert block_kit_problems(fallback, blocks) == []
    texts = mrkdwn_texts(blocks)
    assert texts
    for text in [fallback, *texts]:
        assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text
    assert "Ops &lt;!channel&gt; &amp; co" in fallback


def test_root_message_names_the_tier_owners_and_date(framework):
    fallback, blocks = _root(make_initiative("high"), framework)
    shown = all_texts(blocks)
    assert framework.tier_info(Tier.HIGH).label in shown
    assert f"<@{BUSINESS_OWNER}>" in shown and f"<@{TECHNICAL_OWNER}>" in shown
    assert "2026-06-01" in shown
    assert "Invoice assistant" in fallback


def test_root_message_says_where_the_questions_are_and_offers_answering_by_area(framework):
    for in_dm, where in ((False, "in this thread"), (True, "by DM")):
        _, blocks = _root(make_initiative("high"), framework, in_dm=in_dm)
        assert where in all_texts(blocks)
        assert buttons(blocks)["Answer by area"]["action_id"] == Action.OPEN_AREA_FORM
        assert buttons(blocks)["Answer by area"]["value"] == str(REVIEW_ID)


def test_root_message_with_a_long_name_and_purpose_stays_within_slack_limits(framework):
    initiative = make_initiative(name="N" * NAME_MAX, purpose="A long purpose & more. " * 2000)
    fallback, blocks = _root(initiative, framework)
    assert block_kit_problems(fallback, blocks) == []
