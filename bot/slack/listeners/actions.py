"""Button clicks and menu choices on review messages."""

from __future__ import annotations

from slack_bolt import App

from bot.domain import answering
from bot.domain.progress import ReviewState
from bot.errors import NotFoundError
from bot.framework import Question
from bot.services import Services
from bot.slack import conversation, delivery
from bot.slack.blocks import messages, modals
from bot.slack.blocks.limits import section
from bot.slack.failures import reports_errors
from bot.slack.ids import ANSWER_ACTIONS, Action, parse_question_ref
from storage.models import AnswerStatus

STALE_BUTTON = "That button no longer matches a question of a review. Try `/readiness status <name>`."


def _ref(action: dict) -> tuple[int, str]:
    ref = parse_question_ref(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    if ref is None:
        raise NotFoundError(STALE_BUTTON)
    return ref


def _load_question(action: dict, services: Services) -> tuple[ReviewState, Question]:
    review_id, question_id = _ref(action)
    with services.session() as session:
        state = ReviewState.load(review_id, session=session, framework=services.framework)
    question = state.question(question_id)
    if question is None:
        raise NotFoundError("That question is no longer part of this review's framework.")
    return state, question


def handle_answer(ack, body: dict, action: dict, client, context) -> None:
    ack()
    _apply(body, action, client, context, status=ANSWER_ACTIONS[Action(action["action_id"])])


def handle_skip(ack, body: dict, action: dict, client, context) -> None:
    ack()
    _apply(body, action, client, context, status=None)


def _apply(body: dict, action: dict, client, context, *, status, source: str = "button") -> None:
    services: Services = context["services"]
    review_id, question_id = _ref(action)
    user_id = body["user"]["id"]
    with services.session() as session:
        if status is None:
            step = answering.skip(review_id, question_id, user_id=user_id, session=session, framework=services.framework)
        else:
            step = answering.answer(review_id, question_id, status, user_id=user_id, source=source,
                                    session=session, framework=services.framework)
    if source == "button":
        text, blocks = messages.build_question_message(step.state, step.question)
    else:
        text = f"🤖 Proposal confirmed by <@{user_id}>: {messages.status_label(status)}."
        blocks = [section(text)]
    _update_clicked(body, client, text, blocks)
    conversation.show_step(client, step, services, user_id=user_id)


def _update_clicked(body: dict, client, text: str, blocks: list[dict]) -> None:
    container = body.get("container") or {}
    if container.get("type") == "message" and not container.get("is_ephemeral"):
        delivery.update(client, channel=container["channel_id"], ts=container["message_ts"], text=text, blocks=blocks)


def handle_ai_confirm(ack, body: dict, action: dict, client, context) -> None:
    """A person confirms the model's proposal: only now does it become an answer (theirs)."""
    ack()
    ref, _, status = (action.get("value") or "").rpartition(":")
    if status not in {s.value for s in AnswerStatus}:
        raise NotFoundError(STALE_BUTTON)
    _apply(body, {"value": ref}, client, context, status=AnswerStatus(status), source="ai_confirmed")


def handle_ai_change(ack, body: dict, action: dict, client, context) -> None:
    """A person sets the proposal aside: the question is asked again with its buttons."""
    ack()
    state, question = _load_question(action, context["services"])
    text = f"🤖 Proposal set aside by <@{body['user']['id']}>: choose the answer below."
    _update_clicked(body, client, text, [section(text)])
    conversation.ask(client, state, question)


def handle_revisit(ack, body: dict, action: dict, client, respond, context) -> None:
    """From /readiness status: post the chosen question in the review thread, to see or change its answer."""
    ack()
    state, question = _load_question(action, context["services"])
    conversation.ask(client, state, question)
    number, _ = state.position(question)
    respond(text=f"Posted question {number} in the review thread in <#{state.review.channel_id}>.",
            response_type="ephemeral", replace_original=False)


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
    app.action(Action.SKIP)(reports_errors(handle_skip))
    app.action(Action.REVISIT_QUESTION)(reports_errors(handle_revisit))
    app.action(Action.START_REVIEW)(reports_errors(handle_start))
    app.action(Action.AI_CONFIRM)(reports_errors(handle_ai_confirm))
    app.action(Action.AI_CHANGE)(reports_errors(handle_ai_change))
