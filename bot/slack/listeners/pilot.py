"""The pilot's course after intake: the owners' change of risk tier and go/no-go date, the go / no-go decision,
and the adoption baseline. The commands open the forms (commands.py); their submissions land here."""

from __future__ import annotations

from slack_bolt import App

from bot.app import pilot_course
from bot.domain import baseline, changes, go_decisions
from bot.domain.access import Attempt
from bot.domain.adoption import yardstick
from bot.errors import InitiativeGone, MrkdwnError
from bot.services import Services
from bot.slack import delivery
from bot.slack.authorization import authorize
from bot.slack.blocks import adoption as adoption_blocks
from bot.slack.blocks import decisions as blocks
from bot.slack.failures import reports_errors
from bot.slack.ids import View
from bot.text import from_plain
from storage.models import Initiative


def _initiative(session, initiative_id: int) -> Initiative:
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise InitiativeGone()
    return initiative


def _owners_only(services: Services, initiative_id: int, user_id: str) -> Initiative:
    """The initiative, if this person is one of its owners; else the refusal is audited and told."""
    with services.session() as session:
        initiative = _initiative(session, initiative_id)
        refused = changes.refusal(initiative, user_id, session=session)
    if refused:
        raise MrkdwnError(refused)
    return initiative


def open_edit_form(client, trigger_id: str, initiative_id: int, user_id: str, services: Services) -> None:
    initiative = _owners_only(services, initiative_id, user_id)
    client.views_open(trigger_id=trigger_id, view=blocks.build_edit_modal(initiative, services.framework))


def open_decision_form(client, trigger_id: str, initiative_id: int, user_id: str, services: Services) -> None:
    with services.reading() as session:
        initiative = _initiative(session, initiative_id)
        history = go_decisions.history(initiative_id, session=session)
    client.views_open(trigger_id=trigger_id, view=blocks.build_decision_modal(
        initiative, user_id=user_id, today=services.clock.now().date(), decisions=history))


def open_baseline_form(client, trigger_id: str, initiative_id: int, services: Services) -> None:
    with services.reading() as session:
        initiative = _initiative(session, initiative_id)
        current = baseline.BaselineInput.of(yardstick(initiative_id, session=session))
    client.views_open(trigger_id=trigger_id, view=adoption_blocks.build_baseline_modal(initiative, current))


def handle_edit_submission(ack, body: dict, view: dict, client, context) -> None:
    """Owners only; field errors stay in the form; then the team channel is told what the change did."""
    services: Services = context["services"]
    user_id = body["user"]["id"]
    initiative_id, tier, day, reason = blocks.read_edit_modal(view)
    authorize(context, Attempt.EDIT, initiative_id=initiative_id)
    _owners_only(services, initiative_id, user_id)
    try:
        changed = pilot_course.edit(client, services, initiative_id=initiative_id, tier=tier, go_live_date=day,
                                    reason=reason, user_id=user_id)
    except changes.ChangeErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    pilot_course.finish(client, services, changed)


def handle_decision_submission(ack, body: dict, view: dict, client, context) -> None:
    services: Services = context["services"]
    user_id = body["user"]["id"]
    initiative_id, form = blocks.read_decision_modal(view)
    authorize(context, Attempt.DECIDE, initiative_id=initiative_id)
    try:
        changed = pilot_course.decide(client, services, initiative_id=initiative_id, form=form, user_id=user_id)
    except go_decisions.DecisionErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    pilot_course.finish(client, services, changed)


def handle_baseline_submission(ack, body: dict, view: dict, client, context) -> None:
    services: Services = context["services"]
    user_id = body["user"]["id"]
    initiative_id = adoption_blocks.baseline_initiative(view)
    authorize(context, Attempt.BASELINE, initiative_id=initiative_id)
    try:
        with services.session() as session:
            baseline.record(initiative_id, adoption_blocks.read_baseline(view), user_id=user_id, session=session)
            initiative = _initiative(session, initiative_id)
    except baseline.BaselineErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    delivery.tell(client, user=user_id, channel=None,
                  text=f"Saved the adoption baseline of {from_plain(initiative.name)}: each weekly digest compares "
                       "the week with it.")


def register(app: App) -> None:
    app.view(View.EDIT_INITIATIVE)(reports_errors(handle_edit_submission))
    app.view(View.GO_DECISION)(reports_errors(handle_decision_submission))
    app.view(View.BASELINE)(reports_errors(handle_baseline_submission))
