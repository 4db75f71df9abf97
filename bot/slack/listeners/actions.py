"""Button clicks and menu choices on review messages."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.ai import overrides
from bot.domain import answering
from bot.domain.access import Attempt
from bot.domain.progress import ReviewState
from bot.errors import NotFoundError
from bot.framework import Question
from bot.services import Services
from bot.slack import conversation
from bot.slack.authorization import authorize
from bot.slack.blocks import messages, modals
from bot.slack.blocks.limits import section
from bot.slack.failures import reports_errors
from bot.slack.ids import ANSWER_ACTIONS, Action, View, parse_proposal_ref, parse_question_ref
from storage import outbox
from storage.models import AnswerStatus

STALE_BUTTON = "That button no longer matches a question of a review. Try `/readiness status <name>`."


def _ref(action: dict) -> tuple[int, str]:
    ref = parse_question_ref(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    if ref is None:
        raise NotFoundError(STALE_BUTTON)
    return ref


def _load_question(action: dict, context, attempt: Attempt) -> tuple[ReviewState, Question]:
    services: Services = context["services"]
    review_id, question_id = _ref(action)
    authorize(context, attempt, review_id=review_id)
    with services.reading() as session:
        state = ReviewState.load(review_id, session=session, framework=services.framework)
    return state, answering.question_of(state, question_id)


def handle_answer(ack, body: dict, action: dict, client, context) -> None:
    ack()
    _apply(body, action, client, context, status=ANSWER_ACTIONS[Action(action["action_id"])])


def handle_skip(ack, body: dict, action: dict, client, context) -> None:
    ack()
    _apply(body, action, client, context, status=None)


def _apply(body: dict, action: dict, client, context, *, status, source: str = "button",
           proposal: tuple[str, str] | None = None) -> None:
    """Record the answer (with how the person decided on a proposal: its prompt version and a reason)."""
    services: Services = context["services"]
    review_id, question_id = _ref(action)
    authorize(context, Attempt.ANSWER, review_id=review_id)
    user_id = body["user"]["id"]
    with services.session() as session:
        if status is None:
            step = answering.skip(review_id, question_id, user_id=user_id, session=session, framework=services.framework)
        else:
            step = answering.answer(review_id, question_id, status, user_id=user_id, source=source,
                                    session=session, framework=services.framework)
        if proposal:
            version, reason = proposal
            overrides.record(session=session, initiative_id=step.state.initiative.id, user_id=user_id,
                             prompt_version=version, question_id=question_id, reason=reason,
                             outcome=overrides.CONFIRMED if source == "ai_confirmed" else overrides.CHANGED)
        if source == "button":
            text, blocks = messages.build_question_message(step.state, step.question)
        else:
            verb = "confirmed" if source == "ai_confirmed" else "changed"
            text = f"🤖 Proposal {verb} by <@{user_id}>: {messages.status_label(status)}."
            blocks = [section(text)]
        _update_clicked(session, body, text, blocks, workspace_id=step.state.initiative.workspace_id)
        conversation.write_step(session, step, services, user_id=user_id)
    conversation.after_step(client, step, services, user_id=user_id)


def _update_clicked(session, body: dict, text: str, blocks: list[dict], *, workspace_id: int) -> None:
    container = body.get("container") or {}
    if container.get("type") == "message" and not container.get("is_ephemeral"):
        outbox.update(session, channel=container["channel_id"], ts=container["message_ts"], text=text, blocks=blocks,
                      workspace_id=workspace_id)


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
    _apply(body, {"value": f"{review_id}:{question_id}"}, client, context, status=status,
           source="ai_confirmed", proposal=(version, ""))


def handle_ai_change(ack, body: dict, action: dict, client, context) -> None:
    """A person changes the proposal: a form for their own answer and, if they say, what the model got wrong."""
    ack()
    review_id, question_id, version, proposed = _proposal(action.get("value") or "")
    _, question = _load_question({"value": f"{review_id}:{question_id}"}, context, Attempt.ANSWER)
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
    as_clicked = {**body, "container": {"type": "message", "channel_id": meta["channel_id"],
                                        "message_ts": meta["message_ts"]}}
    _apply(as_clicked, {"value": f"{meta['review_id']}:{meta['question_id']}"}, client, context, status=status,
           source="ai_changed", proposal=(meta["version"], reason))


def handle_revisit(ack, body: dict, action: dict, client, respond, context) -> None:
    """From /readiness status: post the chosen question in the review thread, to see or change its answer."""
    ack()
    state, question = _load_question(action, context, Attempt.REVISIT)
    with context["services"].session() as session:
        conversation.ask(session, state, question, tell=body["user"]["id"])
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
    app.view(View.PROPOSAL_CHANGE)(reports_errors(handle_change_submission))
