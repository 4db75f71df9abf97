"""Weekly adoption: the Report button and its form, snoozing nudges."""

from __future__ import annotations

from datetime import date

from slack_bolt import App

from bot.app import report_adoption
from bot.domain import adoption
from bot.domain.access import Attempt
from bot.domain.initiatives import latest_review
from bot.domain.nudges import snooze_until, snooze_week
from bot.domain.progress import ReviewState
from bot.errors import InitiativeGone, NotFoundError
from bot.services import Services
from bot.slack import delivery, home_flow
from bot.slack.authorization import authorize
from bot.slack.blocks import adoption as blocks
from bot.slack.failures import reports_errors
from bot.slack.ids import Action, View, parse_week_ref
from bot.text import from_plain
from storage.models import Initiative


def open_report_form(client, trigger_id: str, initiative_id: int, week_start: date, services: Services, *,
                     checkin: tuple[str, str] | None = None) -> None:
    """The scorecard form for the week; `checkin` (channel, ts) is the check-in it was opened from, if any."""
    with services.reading() as session:
        initiative = session.get(Initiative, initiative_id)
        if initiative is None:
            raise InitiativeGone()
        state = ReviewState.load(latest_review(initiative, session=session).id, session=session,
                                 framework=services.framework)
        shown = [(c.label, (state.evidence_for(c.question) or [None])[-1]) for c in services.framework.scorecard_context]
        lines = blocks.build_context_lines([(label, e.text if e else None) for label, e in shown])
        trend = adoption.trend(initiative_id, week_start, session=session)
        view = blocks.build_report_modal(initiative, week_start, context_lines=lines, baseline=trend.baseline,
                                         before_ai=trend.before_ai, checkin=checkin)
    client.views_open(trigger_id=trigger_id, view=view)


def _week(action: dict) -> tuple[int, date]:
    ref = parse_week_ref(action.get("value") or "")
    if ref is None:
        raise NotFoundError("That button no longer matches a week. Try `/readiness report <name>`.")
    return ref


def handle_report_button(ack, body: dict, action: dict, client, context) -> None:
    ack()
    initiative_id, week_start = _week(action)
    authorize(context, Attempt.REPORT, initiative_id=initiative_id)
    container = body.get("container") or {}  # a check-in DM's message, or the Home tab's view
    checkin = (container["channel_id"], container["message_ts"]) if container.get("type") == "message" else None
    open_report_form(client, body["trigger_id"], initiative_id, week_start, context["services"], checkin=checkin)


def handle_report_submission(ack, body: dict, view: dict, client, context) -> None:
    services: Services = context["services"]
    initiative_id, week_start, form = blocks.read_report_modal(view)
    authorize(context, Attempt.REPORT, initiative_id=initiative_id)
    user_id = body["user"]["id"]
    try:
        reported = report_adoption.report(services, initiative_id, week_start, form, user_id=user_id,
                                          checkin=blocks.checkin_of(view))
    except adoption.ScorecardErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    if reported.queued:
        services.outbox.deliver(reported.queued)  # a check-in Slack will not update keeps its buttons: it is saved
    delivery.tell(client, user=user_id, channel=None,
                  text=f"Thanks: saved {from_plain(reported.initiative)} for {blocks.week_label(week_start)}.")
    home_flow.refresh(client, services, initiative_id, user_id)


def handle_snooze_week(ack, body: dict, action: dict, client, respond, context) -> None:
    ack()
    initiative_id, week_start = _week(action)
    _snooze(snooze_week, initiative_id, week_start, body, respond, context)


def handle_snooze_until(ack, body: dict, action: dict, client, respond, context) -> None:
    ack()
    checkin = next(e for b in body["message"]["blocks"] if b.get("block_id") == "checkin" for e in b["elements"]
                   if e.get("action_id") == Action.REPORT_WEEK)
    initiative_id, _ = _week(checkin)
    _snooze(snooze_until, initiative_id, date.fromisoformat(action["selected_date"]), body, respond, context)


def _snooze(snooze, initiative_id: int, day: date, body: dict, respond, context) -> None:
    """Snooze by the rule given (a week from the check-in, or until a date) and say until when."""
    services: Services = context["services"]
    authorize(context, Attempt.SNOOZE, initiative_id=initiative_id)
    with services.session() as session:
        initiative = snooze(initiative_id, day, user_id=body["user"]["id"], session=session,
                            now=services.clock.now())
    respond(text=f"😴 No nudges for {from_plain(initiative.name)} through {initiative.snoozed_until.isoformat()}.",
            response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.action(Action.REPORT_WEEK)(reports_errors(handle_report_button))
    app.action(Action.SNOOZE_WEEK)(reports_errors(handle_snooze_week))
    app.action(Action.SNOOZE_UNTIL)(reports_errors(handle_snooze_until))
    app.view(View.SCORECARD)(reports_errors(handle_report_submission))
