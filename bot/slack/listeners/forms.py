"""The answer forms: a question's details ("More"), and answering one area's questions at once ("Answer by area")."""

from __future__ import annotations

from slack_bolt import App

from bot.app import answer_forms
from bot.domain import answering
from bot.domain.access import Attempt
from bot.errors import NotFoundError
from bot.slack.authorization import authorize
from bot.slack.blocks import forms
from bot.slack.failures import reports_errors
from bot.slack.ids import Action, View, parse_question_ref

STALE_BUTTON = "That button no longer matches a review. Try `/readiness status <name>`."
STALE_AREA = "That area is no longer part of this review. Click *Answer by area* again to choose one it asks."


def handle_details(ack, body: dict, action: dict, client, context) -> None:
    """More: the question's details, its answer and evidence so far, in a modal that can add to them."""
    ack()
    ref = parse_question_ref(action.get("value") or "")
    if ref is None:
        raise NotFoundError(STALE_BUTTON)
    review_id, question_id = ref
    authorize(context, Attempt.ANSWER, review_id=review_id)
    state = answer_forms.review_state(context["services"], review_id)
    view = forms.build_details_modal(state, answering.question_of(state, question_id))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_details_submission(ack, body: dict, view: dict, client, context) -> None:
    submitted = forms.read_details(view)
    errors = forms.details_errors(submitted)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    authorize(context, Attempt.ANSWER, review_id=submitted.review_id)
    ack()
    answer_forms.answer_details(client, context["services"], review_id=submitted.review_id,
                                question_id=submitted.question_id, status=submitted.status,
                                evidence=submitted.evidence, user_id=body["user"]["id"])


def handle_open_area_form(ack, body: dict, action: dict, client, context) -> None:
    """Answer by area: first, which area."""
    ack()
    value = action.get("value") or ""
    if not value.isdigit():
        raise NotFoundError(STALE_BUTTON)
    review_id = int(value)
    authorize(context, Attempt.ANSWER, review_id=review_id)
    state = answer_forms.review_state(context["services"], review_id)
    client.views_open(trigger_id=body["trigger_id"], view=forms.build_area_picker(state))


def handle_area_choice(ack, view: dict, context) -> None:
    """The area chosen: the picker turns into that area's form."""
    review_id, area_id = forms.read_area_choice(view)
    if area_id is None:
        ack(response_action="errors", errors=forms.area_choice_errors())
        return
    authorize(context, Attempt.ANSWER, review_id=review_id)
    state = answer_forms.review_state(context["services"], review_id)
    if not forms.area_questions(state, area_id):
        raise NotFoundError(STALE_AREA)
    ack(response_action="update", view=forms.build_area_form(state, area_id))


def handle_area_submission(ack, body: dict, view: dict, client, context) -> None:
    """An area form: its answers and evidence in one unit; the next form of the area's questions, if any, follows
    (at once, when nothing was given in this one). The last form given nothing gets a field error."""
    submitted = forms.read_area_form(view)
    services = context["services"]
    state = answer_forms.review_state(services, submitted.review_id)
    following = submitted.start + forms.PER_AREA_FORM
    more = following < len(forms.area_questions(state, submitted.area_id))
    errors = None if more else forms.area_form_errors(view, submitted)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    authorize(context, Attempt.ANSWER, review_id=submitted.review_id)
    if more:
        ack(response_action="update", view=forms.build_area_form(state, submitted.area_id, start=following))
    else:
        ack()
    if submitted.given:
        answer_forms.answer_area(client, services, review_id=submitted.review_id, given=submitted.given,
                                 user_id=body["user"]["id"])


def register(app: App) -> None:
    app.action(Action.QUESTION_DETAILS)(reports_errors(handle_details))
    app.action(Action.OPEN_AREA_FORM)(reports_errors(handle_open_area_form))
    app.view(View.QUESTION_DETAILS)(reports_errors(handle_details_submission))
    app.view(View.AREA_PICKER)(reports_errors(handle_area_choice))
    app.view(View.AREA_FORM)(reports_errors(handle_area_submission))
