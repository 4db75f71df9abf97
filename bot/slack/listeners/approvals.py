"""Release approval: the request form; Approve (with its form where waivers or "Not ready" need a rationale),
Request changes and Reject, each with its form. Each handler parses the payload, checks who may act, calls its use
case (bot/app/request_release.py, bot/app/decide.py) and acknowledges; a form's errors go back in the
acknowledgement."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.app import decide, request_release
from bot.domain import approvals
from bot.domain.access import Attempt
from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.errors import InitiativeGone, NotFoundError
from bot.services import Services
from bot.slack import delivery
from bot.slack.authorization import authorize
from bot.slack.blocks import approvals as blocks
from bot.slack.failures import reports_errors, tell
from bot.slack.ids import Action, View
from bot.text import from_plain
from storage.models import Initiative, Outcome


def open_request_form(client, trigger_id: str, initiative_id: int, services: Services) -> None:
    """Open the release request form for an initiative (from the summary button or /readiness release)."""
    with services.reading() as session:
        initiative = session.get(Initiative, initiative_id)
        if initiative is None:
            raise InitiativeGone()
        review = approvals.latest_review(initiative, session=session)
        summary = summarize(ReviewState.load(review.id, session=session, framework=services.framework))
    client.views_open(trigger_id=trigger_id, view=blocks.build_request_modal(initiative, summary, services.policy))


def handle_request_button(ack, body: dict, action: dict, client, context) -> None:
    ack()
    value = action.get("value") or ""
    if not value.isdigit():
        raise NotFoundError("That button no longer matches an initiative. Try `/readiness release <name>`.")
    authorize(context, Attempt.RELEASE, initiative_id=int(value))
    open_request_form(client, body["trigger_id"], int(value), context["services"])


def handle_request_submission(ack, body: dict, view: dict, client, context) -> None:
    services: Services = context["services"]
    user_id = body["user"]["id"]
    initiative_id, waivers = blocks.read_request_modal(view)
    authorize(context, Attempt.RELEASE, initiative_id=initiative_id)
    try:
        requested = request_release.request(client, services, initiative_id=initiative_id, user_id=user_id,
                                            waivers=waivers)
    except approvals.RequestErrors as invalid:
        general = invalid.errors.pop("", None)
        if invalid.errors:
            ack(response_action="errors", errors=invalid.errors)
        else:  # on top of the form, so closing the notice gives back everything typed
            ack(response_action="push", view=blocks.build_notice_modal("Request not sent", from_plain(general)))
        return
    ack()
    problems = request_release.send(client, services, requested)
    initiative = requested.view.initiative
    sent = f"Release request for {from_plain(initiative.name)} sent to its approvers."
    delivery.tell(client, user=user_id, channel=initiative.channel_id, text=" ".join([sent, *problems]))


def handle_approve(ack, body: dict, action: dict, client, context) -> None:
    """One click approves where there is nothing to weigh; with waivers or at "Not ready", the approve form."""
    ack()
    services: Services = context["services"]
    request_id, user_id = int(action["value"]), body["user"]["id"]
    view = decide.request_view(services, request_id)
    if not view.needs_rationale:
        _record(ack, client, context, lambda: decide.approve(client, services, request_id=request_id,
                                                             user_id=user_id))
        return
    if _refused(body, action, client, context, outcome=Outcome.APPROVED.value):
        return
    roles = decide.roles_of(client, services, view, user_id)
    client.views_open(trigger_id=body["trigger_id"], view=blocks.build_approve_modal(view, roles))


def handle_approve_submission(ack, body: dict, view: dict, client, context) -> None:
    """The rationale and each waiver's accept or decline; the form shows what is missing, and nothing is recorded."""
    request_id, rationale, choices = blocks.read_approve_modal(view)
    _record(ack, client, context, lambda: decide.approve(
        client, context["services"], request_id=request_id, user_id=context.user_id, rationale=rationale,
        waivers=choices))


def handle_changes_button(ack, body: dict, action: dict, client, context) -> None:
    """Check first that this person may decide, then ask what must change."""
    ack()
    if _refused(body, action, client, context, outcome="changes_requested"):
        return
    view = decide.request_view(context["services"], int(action["value"]))
    client.views_open(trigger_id=body["trigger_id"],
                      view=blocks.build_changes_modal(view.request.id, view.initiative.name))


def handle_changes_submission(ack, body: dict, view: dict, client, context) -> None:
    request_id, what = blocks.read_changes_modal(view)
    _record(ack, client, context, lambda: decide.request_changes(
        client, context["services"], request_id=request_id, user_id=context.user_id, what=what))


def handle_reject_button(ack, body: dict, action: dict, client, context) -> None:
    """Check first that this person may decide, then ask for the reason."""
    ack()
    if _refused(body, action, client, context, outcome=Outcome.REJECTED.value):
        return
    view = decide.request_view(context["services"], int(action["value"]))
    client.views_open(trigger_id=body["trigger_id"], view=blocks.build_reject_modal(view.request.id,
                                                                                   view.initiative.name))


def _refused(body: dict, action: dict, client, context, *, outcome: str) -> bool:
    """Whether this person may not decide the request; if so they are told why (and the attempt is audited), where
    they clicked (a request message) or by DM (App Home)."""
    refused = decide.refusal(client, context["services"], request_id=int(action["value"]),
                             user_id=body["user"]["id"], outcome=outcome)
    if refused:
        tell(refused, context)
    return refused is not None


def handle_reject_submission(ack, body: dict, view: dict, client, context) -> None:
    request_id, reason = blocks.read_reject_modal(view)
    if not reason.strip():
        ack(response_action="errors", errors={blocks.REASON: "Say why, so the team knows what to fix."})
        return
    _record(ack, client, context, lambda: decide.reject(client, context["services"], request_id=request_id,
                                                        user_id=context.user_id, reason=reason))


def _record(ack, client, context, act: Callable[[], decide.Decided]) -> None:
    """A decision through its use case: a form's errors go back in the acknowledgement, which comes before the
    decision's messages are delivered; a person who may not decide is told why."""
    try:
        decided = act()
    except approvals.DecisionErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    if decided.result.refused:
        tell(decided.result.refused, context)
        return
    decide.deliver(client, context["services"], decided)


def register(app: App) -> None:
    app.action(Action.REQUEST_RELEASE)(reports_errors(handle_request_button))
    app.action(Action.APPROVE)(reports_errors(handle_approve))
    app.action(Action.REJECT)(reports_errors(handle_reject_button))
    app.action(Action.REQUEST_CHANGES)(reports_errors(handle_changes_button))
    app.view(View.APPROVE)(reports_errors(handle_approve_submission))
    app.view(View.REQUEST_CHANGES)(reports_errors(handle_changes_submission))
    app.view(View.RELEASE_REQUEST)(reports_errors(handle_request_submission))
    app.view(View.REJECT_REASON)(reports_errors(handle_reject_submission))
