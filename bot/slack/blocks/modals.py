"""Modals: the intake form that starts a review (with the portfolio scores), and reading its submitted values."""

from __future__ import annotations

import json
from datetime import date

from bot.domain.baseline import BaselineInput
from bot.domain.initiatives import NAME_MAX
from bot.domain.scores import Scores
from bot.framework import Framework, Question
from bot.slack.blocks.adoption import build_baseline_inputs
from bot.slack.blocks.inputs import input_block, text_element
from bot.slack.blocks.limits import section
from bot.slack.blocks.messages import status_label
from bot.slack.blocks.portfolio import build_score_inputs, read_scores
from bot.slack.ids import Field, View
from bot.text import from_plain, shorten
from storage.models import AnswerStatus, InitiativeCreate


ASKS_IN_OPTIONS = [
    {"text": {"type": "plain_text", "text": "In the review thread, with a mention"}, "value": "thread"},
    {"text": {"type": "plain_text", "text": "In a DM with Readiness Bot"}, "value": "dm"},
]


def build_intake_modal(framework: Framework, *, name: str, channel_id: str, team_id: str) -> dict:
    """The intake form; private_metadata carries where it was opened from."""
    tier_options = [
        {
            "text": {"type": "plain_text", "text": tier.label},
            "description": {"type": "plain_text", "text": tier.meaning},
            "value": tier.id.value,
        }
        for tier in framework.tiers
    ]
    channel_select = {
        "type": "conversations_select",
        "default_to_current_conversation": True,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel_id:
        channel_select["initial_conversation"] = channel_id
    return {
        "type": "modal",
        "callback_id": View.INTAKE,
        "private_metadata": json.dumps({"channel_id": channel_id, "team_id": team_id}),
        "title": {"type": "plain_text", "text": "New readiness review"},
        "submit": {"type": "plain_text", "text": "Start review"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            input_block(Field.NAME, "System name",
                        text_element("Invoice assistant", multiline=False, max_length=NAME_MAX,
                                     initial=name[:NAME_MAX])),
            input_block(Field.PURPOSE, "What it does and for whom",
                        text_element("The task or decision it supports, and who relies on it")),
            input_block(Field.DATA_SOURCES, "Data sources and systems of record",
                        text_element("Where its information comes from, and which system is the official record"),
                        optional=True),
            input_block(Field.INTEGRATIONS, "Enterprise systems it must integrate with",
                        text_element("ERP, CRM, ticketing, identity provider…"), optional=True),
            input_block(Field.BUSINESS_OWNER, "Business owner", {"type": "users_select"},
                        hint="Accountable for the outcome and adoption."),
            input_block(Field.TECHNICAL_OWNER, "Technical owner", {"type": "users_select"},
                        hint="Accountable for model performance and infrastructure."),
            input_block(Field.RISK_TIER, "Risk tier: harm if it is wrong",
                        {"type": "radio_buttons", "options": tier_options}),
            input_block(Field.CHANNEL, "Team channel for updates", channel_select),
            input_block(Field.GO_LIVE, "Go/no-go date", {"type": "datepicker"}, optional=True),
            input_block(Field.ASKS_IN, "Where each owner gets their questions",
                        {"type": "radio_buttons", "options": ASKS_IN_OPTIONS, "initial_option": ASKS_IN_OPTIONS[0]},
                        optional=True),
            {"type": "divider"},
            section("*Portfolio scores*: value, feasibility and risk, 1 to 5 each, to rank it in "
                    "`/readiness portfolio`. All three or none; score later with `/readiness score <name>`."),
            *build_score_inputs(Scores(), optional=True),
            {"type": "divider"},
            section("*Adoption scorecard*: the process before the AI, and the metrics its adoption is judged by. "
                    "Fill in what you know now, the rest later with `/readiness baseline <name>`."),
            *build_baseline_inputs(BaselineInput()),
        ],
    }


def read_intake(view: dict, *, user_id: str) -> InitiativeCreate:
    """The submitted intake form as a domain object (validation is the domain's job)."""
    values = view["state"]["values"]
    meta = json.loads(view.get("private_metadata") or "{}")

    def value(field: Field, key: str) -> str:
        element = values.get(field, {}).get(field, {})
        return (element.get(key) or "") if key != "selected_option" else ((element.get(key) or {}).get("value") or "")

    go_live = value(Field.GO_LIVE, "selected_date")
    scores = read_scores(view)
    return InitiativeCreate(
        team_id=meta.get("team_id") or view.get("team_id", ""),
        created_by=user_id,
        name=value(Field.NAME, "value"),
        purpose=value(Field.PURPOSE, "value"),
        data_sources=value(Field.DATA_SOURCES, "value"),
        integrations=value(Field.INTEGRATIONS, "value"),
        business_owner_id=value(Field.BUSINESS_OWNER, "selected_user"),
        technical_owner_id=value(Field.TECHNICAL_OWNER, "selected_user"),
        risk_tier=value(Field.RISK_TIER, "selected_option"),
        channel_id=value(Field.CHANNEL, "selected_conversation"),
        go_live_date=date.fromisoformat(go_live) if go_live else None,
        asks_in=value(Field.ASKS_IN, "selected_option") or "thread",
        value_score=scores.value, feasibility_score=scores.feasibility, risk_score=scores.risk,
    )


CHANGE_ANSWER, CHANGE_REASON = "answer", "reason"


def build_change_proposal_modal(question: Question, proposed: AnswerStatus, *, metadata: dict) -> dict:
    """Changing the model's proposal: the person's own answer, and what the proposal missed (optional)."""
    options = [s for s in (AnswerStatus.MET, AnswerStatus.PARTLY, AnswerStatus.NOT_YET, AnswerStatus.NA)
               if (s is not AnswerStatus.NA or question.allow_na) and s is not proposed]
    return {
        "type": "modal", "callback_id": View.PROPOSAL_CHANGE, "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": "Change the proposal"},
        "submit": {"type": "plain_text", "text": "Save my answer"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{from_plain(shorten(question.text, 2900))}*"}},
            {"type": "input", "block_id": CHANGE_ANSWER, "label": {"type": "plain_text", "text": "Your answer"},
             "element": {"type": "radio_buttons", "action_id": CHANGE_ANSWER, "options": [
                 {"text": {"type": "plain_text", "text": status_label(s)}, "value": s.value} for s in options]}},
            {"type": "input", "block_id": CHANGE_REASON, "optional": True,
             "label": {"type": "plain_text", "text": "What did the proposal get wrong?"},
             "hint": {"type": "plain_text", "text": "Counted per prompt version in /readiness usage, to improve it."},
             "element": {**text_element("e.g. It missed that the owner left last month", max_length=500),
                         "action_id": CHANGE_REASON}},
        ],
    }


def read_change_proposal(view: dict) -> tuple[AnswerStatus, str]:
    values = view["state"]["values"]
    chosen = values[CHANGE_ANSWER][CHANGE_ANSWER]["selected_option"]["value"]
    return AnswerStatus(chosen), values.get(CHANGE_REASON, {}).get(CHANGE_REASON, {}).get("value") or ""
