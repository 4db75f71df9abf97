"""Release approval: the request form, Approve and Reject buttons, the reject reason."""

from __future__ import annotations

from slack_bolt import App

from bot.domain import approvals
from bot.domain.access import Attempt
from bot.domain.progress import ReviewState
from bot.domain.summary import summarize
from bot.errors import NotFoundError
from bot.services import Services
from bot.slack import approval_flow, delivery
from bot.slack.approval_flow import Membership
from bot.slack.authorization import authorize
from bot.slack.blocks import approvals as blocks
from bot.slack.failures import reports_errors
from bot.slack.ids import Action, View
from bot.text import from_plain
from storage.models import Initiative, Outcome


def open_request_form(client, trigger_id: str, initiative_id: int, services: Services) -> None:
    """Open the release request form for an initiative (from the summary button or /readiness release)."""
    with services.session() as session:
        initiative = session.get(Initiative, initiative_id)
        if initiative is None:
            raise NotFoundError("That initiative no longer exists.")
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
        with services.session() as session:
            initiative = session.get(Initiative, initiative_id)
            request = approvals.request_release(
                initiative, session=session, framework=services.framework, policy=services.policy,
                requested_by=user_id, waivers=waivers, now=services.clock.now(),
                approvals_channel=services.approvals_channel or initiative.channel_id,
            )
    except approvals.RequestErrors as invalid:
        general = invalid.errors.pop("", None)
        if invalid.errors:
            ack(response_action="errors", errors=invalid.errors)
        else:  # on top of the form, so closing the notice gives back everything typed
            ack(response_action="push", view=blocks.build_notice_modal("Request not sent", from_plain(general)))
        return
    ack()
    problems = approval_flow.publish(client, services, request.id)
    sent = f"Release request for {from_plain(initiative.name)} sent to its approvers."
    delivery.tell(client, user=user_id, channel=initiative.channel_id, text=" ".join([sent, *problems]))


def handle_approve(ack, body: dict, action: dict, client, respond, context) -> None:
    ack()
    _decide(body, action, client, respond, context, Outcome.APPROVED, reason=None)


def handle_reject_button(ack, body: dict, action: dict, client, respond, context) -> None:
    """Check first that this person may decide, then ask for the reason."""
    ack()
    services: Services = context["services"]
    request_id = int(action["value"])
    with services.session() as session:
        refused = approvals.may_decide(request_id, user_id=body["user"]["id"], session=session,
                                       framework=services.framework, policy=services.policy,
                                       is_member=Membership(client, services).is_member)
        view = approvals.load_view(request_id, session=session, framework=services.framework, policy=services.policy)
    if refused:
        respond(text=refused, response_type="ephemeral", replace_original=False)
        return
    client.views_open(trigger_id=body["trigger_id"], view=blocks.build_reject_modal(request_id, view.initiative.name))


def handle_reject_submission(ack, body: dict, view: dict, client, context) -> None:
    request_id, reason = blocks.read_reject_modal(view)
    if not reason.strip():
        ack(response_action="errors", errors={blocks.REASON: "Say why, so the team knows what to fix."})
        return
    ack()
    _decide(body, {"value": str(request_id)}, client, None, context, Outcome.REJECTED, reason=reason)


def _decide(body: dict, action: dict, client, respond, context, outcome: Outcome, *, reason: str | None) -> None:
    services: Services = context["services"]
    user_id = body["user"]["id"]
    with services.session() as session:
        result = approvals.decide(
            int(action["value"]), outcome, user_id=user_id, reason=reason, session=session,
            framework=services.framework, policy=services.policy,
            is_member=Membership(client, services).is_member, now=services.clock.now(),
        )
    if result.refused:
        if respond:
            respond(text=result.refused, response_type="ephemeral", replace_original=False)
        else:
            delivery.tell(client, user=user_id, channel=None, text=result.refused)
        return
    if not result.recorded:
        return  # a second click by the same approver, or a request already decided
    approval_flow.refresh(client, services, result.view.request.id)
    if result.completed:
        approval_flow.announce_outcome(client, result.view)


def register(app: App) -> None:
    app.action(Action.REQUEST_RELEASE)(reports_errors(handle_request_button))
    app.action(Action.APPROVE)(reports_errors(handle_approve))
    app.action(Action.REJECT)(reports_errors(handle_reject_button))
    app.view(View.RELEASE_REQUEST)(reports_errors(handle_request_submission))
    app.view(View.REJECT_REASON)(reports_errors(handle_reject_submission))
