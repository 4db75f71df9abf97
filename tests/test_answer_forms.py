"""The answer forms: a question's details ("More") and answering a whole area in one form, through signed requests;
and both forms at their largest within Slack's limits."""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import contextmanager

import yaml
from sqlalchemy import event
from sqlmodel import Session, select

from bot.domain import answering
from bot.framework import Framework, load_framework
from bot.slack.blocks import forms
from bot.slack.ids import Action, FormField, View, form_field, question_ref
from storage.models import Answer, AnswerStatus, Evidence, Review
from tests.block_kit import copy_problems, view_problems
from tests.builders import WHEN, fill, huge_framework, make_state
from tests.conftest import RunningBot
from tests.review_driver import ReviewDriver, form_values, open_area_form, opened_modal

EVIDENCE = "Runbook at https://wiki.example.com/ap/runbook, signed off by the AP lead"
INSERT = re.compile(r'^\s*INSERT INTO\s+"?(\w+)"?', re.IGNORECASE)


# ------------------------------------------------------------------ helpers


def _review_id(bot) -> int:
    with Session(bot.engine) as session:
        return session.exec(select(Review.id).order_by(Review.id.desc())).first()


def _given(bot) -> list:
    """The evidence people gave, not what the intake proposed."""
    return [e for e in _rows(bot, Evidence) if not e.text.endswith(answering.FROM_INTAKE)]


def _rows(bot, model) -> list:
    with Session(bot.engine) as session:
        return session.exec(select(model).order_by(model.id)).all()


@contextmanager
def _answer_units(engine):
    """The committed transactions that wrote answers: the tables each inserted into."""
    open_units, committed = defaultdict(set), []

    def statement(connection, _cursor, text, *_args):
        if found := INSERT.match(text):
            open_units[id(connection)].add(found[1].lower())

    def commit(connection):
        wrote = open_units.pop(id(connection), set())
        if "answer" in wrote:
            committed.append(wrote)

    def rollback(connection):
        open_units.pop(id(connection), None)

    listeners = (("before_cursor_execute", statement), ("commit", commit), ("rollback", rollback))
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield committed
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def _one_area(framework: Framework, **texts) -> Framework:
    """Every question of `framework` in its first area, asked at every tier (with `texts` replacing its texts)."""
    raw = framework.model_dump(mode="json", exclude_none=True)
    area = raw["areas"][0]
    raw["areas"] = [area]
    for question in raw["questions"]:
        question.update(area=area["id"], tiers=["low", "medium", "high"],
                        **{k: fill(k, n) for k, n in texts.items()})
    return Framework.model_validate(raw)


# ------------------------------------------------------------------ through signed requests


def test_more_opens_the_details_with_why_and_what_met_looks_like(bot, framework):
    ReviewDriver(bot).start()
    review_id = _review_id(bot)
    question = framework.questions_for("high")[0]
    view = opened_modal(bot, Action.QUESTION_DETAILS, question_ref(review_id, question.id))
    assert view["callback_id"] == View.QUESTION_DETAILS and view_problems(view) == []
    shown = str(view["blocks"])
    assert question.text in shown and question.why in shown and question.met_looks_like in shown
    assert "Not answered" in shown and question.source in shown


def test_evidence_added_in_the_details_is_stored_without_an_answer(bot, framework):
    ReviewDriver(bot).start()
    review_id = _review_id(bot)
    question = framework.questions_for("high")[1]
    view = opened_modal(bot, Action.QUESTION_DETAILS, question_ref(review_id, question.id), user="U200")
    response = bot.slack.submit_view(view, form_values(view, evidence={question.id: EVIDENCE}), user="U200")
    assert response.status == 200 and not response.body, response.body
    bot.idle()
    [stored] = [e for e in _given(bot) if e.question_id == question.id]
    assert (stored.text, stored.provided_by) == (EVIDENCE, "U200")
    assert [a for a in _rows(bot, Answer) if a.question_id == question.id] == []
    again = opened_modal(bot, Action.QUESTION_DETAILS, question_ref(review_id, question.id))
    assert "Runbook at" in str(again["blocks"]) and "<@U200>" in str(again["blocks"])


def test_an_answer_chosen_in_the_details_is_recorded_with_its_evidence(bot, framework):
    ReviewDriver(bot).start()
    review_id = _review_id(bot)
    question = framework.questions_for("high")[2]
    view = opened_modal(bot, Action.QUESTION_DETAILS, question_ref(review_id, question.id))
    values = form_values(view, {question.id: AnswerStatus.PARTLY}, {question.id: EVIDENCE})
    assert bot.slack.submit_view(view, values).status == 200
    bot.idle()
    [answer] = [a for a in _rows(bot, Answer) if a.question_id == question.id]
    assert (answer.status, answer.source, answer.answered_by) == (AnswerStatus.PARTLY, "details", "U100")
    assert [e.text for e in _given(bot) if e.question_id == question.id] == [EVIDENCE]


def test_details_submitted_empty_get_a_field_error_and_nothing_is_stored(bot, framework):
    ReviewDriver(bot).start()
    question = framework.questions_for("high")[0]
    view = opened_modal(bot, Action.QUESTION_DETAILS, question_ref(_review_id(bot), question.id))
    body = bot.slack.submit_view(view, form_values(view, evidence={question.id: "   "})).json()
    assert body["response_action"] == "errors"
    assert "Add evidence or choose an answer" in body["errors"][form_field(FormField.EVIDENCE, question.id)]
    bot.idle()
    assert _given(bot) == [] and _rows(bot, Answer) == []


def test_someone_outside_the_team_cannot_open_the_details(bot, framework):
    ReviewDriver(bot).start()
    question = framework.questions_for("high")[0]
    before = len(bot.fake.calls_to("views.open"))
    assert bot.slack.click(Action.QUESTION_DETAILS, question_ref(_review_id(bot), question.id),
                           user="U999").status == 200
    bot.idle()
    assert len(bot.fake.calls_to("views.open")) == before


def test_an_area_form_answers_all_its_questions_in_one_unit(bot, framework):
    ReviewDriver(bot).start()
    review_id = _review_id(bot)
    area = framework.areas[0].id
    questions = [q for q in framework.questions_for("high") if q.area == area]
    view = open_area_form(bot, review_id, area)
    assert view_problems(view) == [] and all(q.text in str(view["blocks"]) for q in questions)
    answers = {q.id: AnswerStatus.MET if n % 2 else AnswerStatus.NOT_YET for n, q in enumerate(questions)}
    evidence = {q.id: f"{EVIDENCE} ({n})" for n, q in enumerate(questions) if q.evidence}
    with _answer_units(bot.engine) as units:
        response = bot.slack.submit_view(view, form_values(view, answers, evidence))
        assert response.status == 200 and not response.body, response.body
        bot.idle()
    assert len(units) == 1 and ("evidence" in units[0]) == bool(evidence), units
    stored = {a.question_id: (a.status, a.source) for a in _rows(bot, Answer)}
    assert stored == {qid: (status, "form") for qid, status in answers.items()}
    assert {e.question_id: e.text for e in _given(bot)} == evidence


def test_an_area_form_shows_the_current_answers_and_records_only_what_changed(bot, framework):
    ReviewDriver(bot).start()
    review_id = _review_id(bot)
    area = framework.areas[0].id
    first, *others = [q for q in framework.questions_for("high") if q.area == area]
    view = open_area_form(bot, review_id, area)
    assert bot.slack.submit_view(view, form_values(view, {first.id: AnswerStatus.NOT_YET})).status == 200
    bot.idle()
    view = open_area_form(bot, review_id, area)
    answer_block = next(b for b in view["blocks"] if b.get("block_id") == form_field(FormField.ANSWER, first.id))
    assert answer_block["element"]["initial_option"]["value"] == AnswerStatus.NOT_YET
    second = others[0] if others else first
    assert bot.slack.submit_view(view, form_values(view, {second.id: AnswerStatus.PARTLY})).status == 200
    bot.idle()
    assert [(a.question_id, a.status) for a in _rows(bot, Answer)] == [
        (first.id, AnswerStatus.NOT_YET), (second.id, AnswerStatus.PARTLY)]


def test_an_area_form_submitted_with_nothing_chosen_gets_a_field_error(bot, framework):
    ReviewDriver(bot).start()
    area = framework.areas[0].id
    view = open_area_form(bot, _review_id(bot), area)
    body = bot.slack.submit_view(view, form_values(view)).json()
    first = next(q for q in framework.questions_for("high") if q.area == area)
    assert body["response_action"] == "errors"
    assert "at least one question" in body["errors"][form_field(FormField.ANSWER, first.id)]
    bot.idle()
    assert _rows(bot, Answer) == [] and _given(bot) == []


def test_an_area_too_large_for_one_form_continues_in_the_next(engine, database_url, fake_slack, clock, tmp_path):
    huge = huge_framework(areas=1, per_area=forms.PER_AREA_FORM + 5)
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(huge.model_dump(mode="json", exclude_none=True)))
    bot = RunningBot(database_url, fake_slack, framework_path=path, clock=clock).start()
    try:
        ReviewDriver(bot).start()
        review_id = _review_id(bot)
        view = open_area_form(bot, review_id, huge.areas[0].id)
        assert "The rest are in the next form" in str(view["blocks"]) and view_problems(view) == []
        first, last = huge.questions[0], huge.questions[-1]
        body = bot.slack.submit_view(view, form_values(view, {first.id: AnswerStatus.MET})).json()
        assert body["response_action"] == "update"
        following = body["view"]
        assert last.text in str(following["blocks"]) and first.text not in str(following["blocks"])
        assert bot.slack.submit_view(following, form_values(following, {last.id: AnswerStatus.NOT_YET})).status == 200
        bot.idle()
        assert [(a.question_id, a.status) for a in _rows(bot, Answer)] == [
            (first.id, AnswerStatus.MET), (last.id, AnswerStatus.NOT_YET)]
    finally:
        bot.stop()


# ------------------------------------------------------------------ at their largest


def _largest_state(framework: Framework):
    """Every question answered Partly, with twice the evidence the details show, each as long as Slack takes."""
    questions = framework.questions_for("high")
    state = make_state(framework, "high", answers={q.id: AnswerStatus.PARTLY for q in questions})
    state.evidence_history = [
        Evidence(id=n, review_id=state.review.id, question_id=q.id, text=fill("We measured & <logged> it", 40_000),
                 provided_by="U" + "E" * 31, provided_at=WHEN)
        for n, q in enumerate(q for q in questions for _ in range(forms.EVIDENCE_SHOWN * 2))
    ]
    return state


def test_the_forms_at_their_largest_fit_slacks_limits():
    real = load_framework()
    frameworks = (
        _one_area(real, text=300, why=600, met_looks_like=600, source=200),  # every question in one area
        huge_framework(areas=1, per_area=300),  # an area far larger than a form
        huge_framework(),  # more areas than a menu holds options
    )
    for framework in frameworks:
        state = _largest_state(framework)
        views = [forms.build_area_picker(state)]
        for area in framework.areas:
            count = len(forms.area_questions(state, area.id))
            views += [forms.build_area_form(state, area.id, start=s) for s in range(0, count, forms.PER_AREA_FORM)]
        views += [forms.build_details_modal(state, q) for q in framework.questions]
        for view in views:
            assert view_problems(view) == [] and copy_problems(view) == [], view["callback_id"]
            assert len(view["private_metadata"]) <= 3000
        shown = [b["block_id"] for v in views if v["callback_id"] == View.AREA_FORM for b in v["blocks"]
                 if b.get("block_id", "").startswith(f"{FormField.ANSWER}:")]
        assert sorted(shown) == sorted(form_field(FormField.ANSWER, q.id) for q in framework.questions), \
            "each question is in exactly one area form"


def test_the_area_form_reads_back_only_the_answers_changed_and_the_evidence_written():
    framework = load_framework()
    area = framework.areas[0].id
    first, second = [q for q in framework.questions_for("high") if q.area == area][:2]
    state = make_state(framework, "high", answers={first.id: AnswerStatus.MET})
    view = forms.build_area_form(state, area)
    chosen = form_values(view, {second.id: AnswerStatus.PARTLY}, {first.id: " a link "})
    view["state"] = {"values": {block: {block: value} for block, value in chosen.items()}}
    submitted = forms.read_area_form(view)
    assert (submitted.review_id, submitted.area_id, submitted.start) == (state.review.id, area, 0)
    assert [(g.question_id, g.status, g.evidence) for g in submitted.given] == [
        (first.id, None, "a link"), (second.id, AnswerStatus.PARTLY, None)]
