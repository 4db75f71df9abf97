"""The summary as a document: one message on one screen, previewed to the person before it is posted, posted once and
then updated in place, with every condition one click away in a modal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from bot.app import summary as summary_use_case
from bot.domain.go_decisions import REASON_MAX
from bot.domain.initiatives import NAME_MAX
from bot.domain.progress import ReviewState
from bot.domain.summary import Verdict, summarize
from bot.framework import DEFAULT_FRAMEWORK_PATH, Framework, load_framework
from bot.slack.blocks.summary import BLOCKERS_SHOWN, build_full_list, build_summary, build_summary_preview
from bot.slack.ids import Action, question_ref
from storage.models import AnswerStatus, GoDecision, GoOutcome, Review, ReviewPost
from tests.block_kit import copy_problems, message_problems, texts, view_problems
from tests.builders import WHEN, huge_framework, make_initiative, make_state
from tests.review_driver import intake_values
from tests.slack_requests import CHANNEL

NAME = ("Supplier invoice reply assistant for accounts payable in the EMEA shared services " * 2)[:NAME_MAX]
READY_MOST = 1200  # characters of every text object, button labels included, when nothing blocks
LARGEST_MOST = 6000  # and at its largest, with the model's paragraph and a history of decisions


def _chars(blocks: list[dict]) -> int:
    return sum(len(t) for t in texts(blocks))


def _largest(framework: Framework) -> ReviewState:
    questions = framework.questions_for("high")
    return make_state(framework, "high", initiative=make_initiative("high", name=NAME),
                      answers={q.id: AnswerStatus.NOT_YET for q in questions})


def _decisions(reason: int = REASON_MAX) -> list[GoDecision]:
    """Six go / no-go decisions, newest first, each with a reason of about `reason` characters."""
    return [GoDecision(id=n, initiative_id=1, outcome=GoOutcome.EXTEND, decided_by="U" + "D" * 31,
                       decided_on=date(2099, 1, n), reason="We weigh the pilot & its risks. " * (reason // 32),
                       for_date=date(2098, 12, 31), new_date=date(2099, 12, 31), recorded_by="U" + "R" * 31,
                       recorded_at=WHEN) for n in range(6, 0, -1)]


# ------------------------------------------------------------------ the document, built directly


@pytest.mark.parametrize("which", ["shipped", "300 questions"])
def test_the_summary_at_its_largest_is_one_bounded_message(which):
    framework = load_framework(DEFAULT_FRAMEWORK_PATH) if which == "shipped" else huge_framework()
    summary = summarize(_largest(framework))
    built = {"summary": build_summary(summary, framework, ai_paragraph="It is not ready yet. " * 60,
                                      decisions=_decisions()),
             "preview": build_summary_preview(summary, framework, decisions=_decisions())}
    for name, (text, blocks) in built.items():
        assert message_problems(text, blocks) == [], name
        assert copy_problems(blocks, fallback=text) == [], name
        assert _chars(blocks) <= LARGEST_MOST, name
        shown = "\n".join(texts(blocks))
        assert sum(c.question.text[:60] in shown for c in summary.blockers) == BLOCKERS_SHOWN
        assert f"…and {len(summary.blockers) - BLOCKERS_SHOWN} more blocking" in shown


@pytest.mark.parametrize("which", ["shipped", "300 questions"])
def test_the_full_list_at_its_largest_fits_a_modal(which):
    framework = load_framework(DEFAULT_FRAMEWORK_PATH) if which == "shipped" else huge_framework()
    summary = summarize(_largest(framework))
    view = build_full_list(summary, framework)
    assert view_problems(view) == []
    assert copy_problems(view) == []
    shown = "\n".join(texts(view))
    if which == "shipped":
        assert all(c.question.text in shown for c in summary.conditions)
    else:
        assert "more: `/readiness export Supplier invoice reply assistant" in shown


def test_a_summary_with_nothing_blocking_is_short():
    framework = load_framework(DEFAULT_FRAMEWORK_PATH)
    questions = framework.questions_for("high")
    state = make_state(framework, "high", initiative=make_initiative("high", name=NAME),
                       answers={q.id: AnswerStatus.MET for q in questions},
                       evidence={q.id: "See the runbook" for q in questions if q.evidence})
    summary = summarize(state)
    assert summary.verdict is Verdict.READY
    for decisions in ((), _decisions(reason=200)[:1]):  # a go/no-go date, or a decision with a reason of some words
        _, blocks = build_summary(summary, framework, decisions=decisions)
        assert _chars(blocks) <= READY_MOST
    assert "Every condition is met" in "\n".join(texts(blocks))


def test_answers_met_without_the_evidence_asked_for_are_counted_and_listed():
    framework = load_framework(DEFAULT_FRAMEWORK_PATH)
    questions = framework.questions_for("low")
    wanting = [q for q in questions if q.evidence]
    state = make_state(framework, "low", answers={q.id: AnswerStatus.MET for q in questions},
                       evidence={wanting[0].id: "See the runbook"})
    summary = summarize(state)
    assert [c.question.id for c in summary.evidence_missing] == [q.id for q in wanting[1:]]
    _, blocks = build_summary(summary, framework)
    assert f"{len(wanting) - 1} met, evidence missing" in "\n".join(texts(blocks))
    listed = "\n".join(texts(build_full_list(summary, framework)))
    assert f"Met, evidence missing ({len(wanting) - 1})" in listed
    assert wanting[1].text in listed and wanting[0].text not in listed


# ------------------------------------------------------------------ through the served bot


def _start(bot, tier: str = "low") -> int:
    """A review started through the intake form; its id."""
    assert bot.slack.command("new Invoice assistant").status == 200
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    assert bot.slack.submit_view(view, intake_values("Invoice assistant", tier=tier)).status == 200
    bot.idle()
    with Session(bot.engine) as session:
        return session.exec(select(Review.id)).one()


def _answer(bot, review_id: int, question_ids, action: Action = Action.ANSWER_MET) -> None:
    for question_id in question_ids:
        assert bot.slack.click(action, question_ref(review_id, question_id)).status == 200
        bot.idle()


def _summaries(bot) -> list[dict]:
    return [p for p in bot.fake.posts(channel=CHANNEL, top_level=True) if p["text"].startswith("Readiness summary")]


def _updates(bot, ts: str) -> list[dict]:
    return [c.params for c in bot.fake.calls_to("chat.update") if c.params.get("ts") == ts]


def _preview(bot) -> dict:
    before = len(bot.fake.responses())
    assert bot.slack.command("summary Invoice assistant").status == 200
    bot.idle()
    assert len(bot.fake.responses()) == before + 1
    return bot.fake.responses()[-1]


def _post(bot, review_id: int) -> None:
    assert bot.slack.click(Action.POST_SUMMARY, str(review_id), ephemeral=True).status == 200
    bot.idle()


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_the_summary_command_shows_only_the_person_a_preview_and_posts_nothing(bot):
    review_id = _start(bot)
    preview = _preview(bot)
    assert preview.get("response_type") == "ephemeral"
    assert preview["text"].startswith("Preview, only you see it: Readiness summary: Invoice assistant")
    assert set(_buttons(preview["blocks"])) == {Action.POST_SUMMARY, Action.SUMMARY_FULL_LIST, Action.REQUEST_RELEASE}
    assert _buttons(preview["blocks"])[Action.POST_SUMMARY]["value"] == str(review_id)
    assert _summaries(bot) == []
    with Session(bot.engine) as session:
        assert session.get(Review, review_id).summary_posted_at is None


def test_post_puts_it_in_the_channel_once_and_replaces_the_preview(bot, framework):
    review_id = _start(bot)
    _preview(bot)
    _post(bot, review_id)
    [posted] = _summaries(bot)
    assert "thread_ts" not in posted
    assert set(_buttons(posted["blocks"])) == {Action.SUMMARY_FULL_LIST, Action.REQUEST_RELEASE}
    replaced = bot.fake.responses()[-1]
    assert replaced.get("replace_original") in (True, "true")
    assert replaced["text"] == f"Posted the summary of Invoice assistant to <#{CHANNEL}>."
    with Session(bot.engine) as session:
        assert session.get(Review, review_id).summary_posted_at is not None
        [row] = session.exec(select(ReviewPost).where(ReviewPost.kind == "summary")).all()
        assert row.review_id == review_id


def _posted_then_changed(bot, framework) -> tuple[int, dict, object]:
    """A posted summary, then a blocker answered Not yet: the review, the summary's post, the blocker."""
    review_id = _start(bot)
    _post(bot, review_id)
    [posted] = _summaries(bot)
    blocker = next(q for q in framework.questions_for("low") if q.blocks_at("low"))
    _answer(bot, review_id, [blocker.id], Action.ANSWER_NOT_YET)
    return review_id, posted, blocker


def test_posting_again_after_an_answer_changed_updates_it_in_place(bot, framework):
    review_id, posted, blocker = _posted_then_changed(bot, framework)
    _preview(bot)
    _post(bot, review_id)
    assert _summaries(bot) == [posted], "nothing new in the channel"
    updated = _updates(bot, posted["ts"])[-1]
    assert updated["channel"] == CHANNEL
    shown = "\n".join(texts(updated["blocks"]))
    assert blocker.text[:60] in shown and "Not yet" in shown


def test_a_changed_answer_refreshes_the_posted_summary_in_place(bot, framework):
    _, posted, blocker = _posted_then_changed(bot, framework)
    assert _summaries(bot) == [posted]
    shown = "\n".join(texts(_updates(bot, posted["ts"])[-1]["blocks"]))
    assert blocker.text[:60] in shown and "Not ready" in shown


def test_refreshing_a_review_without_a_posted_summary_posts_nothing(bot, framework):
    review_id = _start(bot)
    with bot.services.session() as session:
        state = ReviewState.load(review_id, session=session, framework=bot.services.framework)
        summary_use_case.refresh_posted(session, state, bot.services)
    bot.idle()
    assert _summaries(bot) == [] and bot.fake.calls_to("chat.update") == []


def test_completing_the_review_again_updates_the_posted_summary(bot, framework):
    review_id = _start(bot)
    _post(bot, review_id)
    [posted] = _summaries(bot)
    _answer(bot, review_id, [q.id for q in framework.questions_for("low")])
    with Session(bot.engine) as session:
        assert session.get(Review, review_id).status == "complete"
    assert _summaries(bot) == [posted]
    assert "🟢 Ready" in "\n".join(texts(_updates(bot, posted["ts"])[-1]["blocks"]))


def test_full_list_opens_every_condition_in_a_modal(bot, framework):
    review_id = _start(bot)
    before = len(bot.fake.calls_to("views.open"))
    assert bot.slack.click(Action.SUMMARY_FULL_LIST, str(review_id), ephemeral=True).status == 200
    bot.idle()
    opened = bot.fake.calls_to("views.open")
    assert len(opened) == before + 1
    view = opened[-1].params["view"]
    assert view["type"] == "modal" and view_problems(view) == []
    shown = "\n".join(texts(view))
    assert all(q.text in shown for q in framework.questions_for("low")), "nothing is answered yet"


def test_someone_outside_the_channel_cannot_post_it(bot):
    review_id = _start(bot)
    assert bot.slack.click(Action.POST_SUMMARY, str(review_id), user="U999", ephemeral=True).status == 200
    bot.idle()
    assert _summaries(bot) == []
    with Session(bot.engine) as session:
        assert session.get(Review, review_id).summary_posted_at is None
