"""Button clicks and menu choices on review messages."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.app import answer, change_answer
from bot.app.answer import Clicked
from bot.domain import answering
from bot.domain.access import Attempt
from bot.domain.progress import ReviewState
from bot.errors import NotFoundError
from bot.framework import Question
from bot.services import Services
from bot.slack.authorization import authorize
from bot.slack.blocks import modals
from bot.slack.failures import reports_errors
from bot.slack.ids import ANSWER_ACTIONS, Action, View, parse_proposal_ref, parse_question_ref
from storage.models import AnswerStatus

STALE_BUTTON = "That button no longer matches a question of a review. Try `/readiness status <name>`."


def _ref(action: dict) -> tuple[int, str]:
    ref = parse_question_ref(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    if ref is None:
        raise NotFoundError(STALE_BUTTON)
    return ref


def _question(review_id: int, question_id: str, services: Services) -> Question:
    with services.reading() as session:
        state = ReviewState.load(review_id, session=session, framework=services.framework)
    return answering.question_of(state, question_id)


def _clicked(body: dict) -> Clicked | None:
    """The message the button is on, unless only the person sees it (Slack updates no ephemeral message)."""
    container = body.get("container") or {}
    if container.get("type") == "message" and not container.get("is_ephemeral"):
        return Clicked(container["channel_id"], container["message_ts"])
    return None


def handle_answer(ack, body: dict, action: dict, client, context) -> None:
    ack()
    review_id, question_id = _ref(action)
    authorize(context, Attempt.ANSWER, review_id=review_id)
    answer.click(client, context["services"], review_id=review_id, question_id=question_id,
                 status=ANSWER_ACTIONS[Action(action["action_id"])], user_id=body["user"]["id"])


def _proposal(value: str) -> tuple[int, str, str, AnswerStatus]:
    """A proposal button's question, prompt version and proposed status."""
    ref, _, status = value.rpartition(":")
    found = parse_proposal_ref(ref)
    if found is None or status not in {s.value for s in AnswerStatus}:
        raise NotFoundError(STALE_BUTTON)
    return (*found, AnswerStatus(status))


def handle_ai_confirm(ack, body: dict, action: dict, client, context) -> None:
    """A person confirms the model's proposal: only now does it become an answer (theirs)."""
    ack()
    review_id, question_id, version, status = _proposal(action.get("value") or "")
    authorize(context, Attempt.ANSWER, review_id=review_id)
    answer.decide_proposal(client, context["services"], review_id=review_id, question_id=question_id, status=status,
                           user_id=body["user"]["id"], prompt_version=version, reason="", confirmed=True,
                           clicked=_clicked(body))


def handle_ai_change(ack, body: dict, action: dict, client, context) -> None:
    """A person changes the proposal: a form for their own answer and, if they say, what the model got wrong."""
    ack()
    review_id, question_id, version, proposed = _proposal(action.get("value") or "")
    authorize(context, Attempt.ANSWER, review_id=review_id)
    question = _question(review_id, question_id, context["services"])
    container = body["container"]
    metadata = {"review_id": review_id, "question_id": question_id, "version": version,
                "channel_id": container["channel_id"], "message_ts": container["message_ts"]}
    client.views_open(trigger_id=body["trigger_id"],
                      view=modals.build_change_proposal_modal(question, proposed, metadata=metadata))


def handle_change_submission(ack, body: dict, view: dict, client, context) -> None:
    """The person's own answer instead of the proposal: recorded as theirs, with the reason they gave."""
    ack()
    meta = json.loads(view["private_metadata"])
    status, reason = modals.read_change_proposal(view)
    review_id, question_id = meta["review_id"], meta["question_id"]
    authorize(context, Attempt.ANSWER, review_id=review_id)
    answer.decide_proposal(client, context["services"], review_id=review_id, question_id=question_id, status=status,
                           user_id=body["user"]["id"], prompt_version=meta["version"], reason=reason,
                           confirmed=False, clicked=Clicked(meta["channel_id"], meta["message_ts"]))


def handle_revisit(ack, body: dict, action: dict, client, respond, context) -> None:
    """From /readiness status: post the checklist holding the chosen question again, to see or change its answer."""
    ack()
    review_id, question_id = _ref(action)
    authorize(context, Attempt.REVISIT, review_id=review_id)
    said = change_answer.revisit(context["services"], review_id=review_id, question_id=question_id,
                                 user_id=body["user"]["id"])
    respond(text=said, response_type="ephemeral", replace_original=False)


def handle_start(ack, body: dict, client, context) -> None:
    ack()
    services: Services = context["services"]
    client.views_open(
        trigger_id=body["trigger_id"],
        view=modals.build_intake_modal(
            services.framework, name="", channel_id=(body.get("channel") or {}).get("id", ""),
            team_id=body["team"]["id"],
        ),
    )


def register(app: App) -> None:
    for action_id in ANSWER_ACTIONS:
        app.action(action_id)(reports_errors(handle_answer))
    app.action(Action.REVISIT_QUESTION)(reports_errors(handle_revisit))
    app.action(Action.START_REVIEW)(reports_errors(handle_start))
    app.action(Action.AI_CONFIRM)(reports_errors(handle_ai_confirm))
    app.action(Action.AI_CHANGE)(reports_errors(handle_ai_change))
    app.view(View.PROPOSAL_CHANGE)(reports_errors(handle_change_submission))
