"""Action, block and callback ids, named once and shared by builders and listeners."""

from datetime import date
from enum import StrEnum

from storage.models import AnswerStatus


class Action(StrEnum):
    ANSWER_MET = "answer_met"
    ANSWER_PARTLY = "answer_partly"
    ANSWER_NOT_YET = "answer_not_yet"
    ANSWER_NA = "answer_na"
    START_REVIEW = "start_review"
    REVISIT_QUESTION = "revisit_question"
    REQUEST_RELEASE = "request_release"
    APPROVE = "approve_release"
    REJECT = "reject_release"
    REQUEST_CHANGES = "request_changes"
    REPORT_WEEK = "report_week"
    SNOOZE_WEEK = "snooze_week"
    SNOOZE_UNTIL = "snooze_until"
    AI_CONFIRM = "ai_confirm"
    AI_CHANGE = "ai_change"
    CONTINUE_REVIEW = "continue_review"  # App Home: post the open questions again, as /readiness continue
    HOME_PREVIOUS = "home_previous"  # App Home's pages: the button's value is the page it shows
    HOME_NEXT = "home_next"
    QUESTION_DETAILS = "question_details"  # "More" on a checklist question: its details modal (value: question_ref)
    OPEN_AREA_FORM = "open_area_form"  # "Answer by area" on the review's root message (value: the review id)
    POST_SUMMARY = "post_summary"  # the summary preview's button: its value is the review's id
    SUMMARY_FULL_LIST = "summary_full_list"  # the summary's every condition, in a modal; value: the review's id


ANSWER_ACTIONS = {
    Action.ANSWER_MET: AnswerStatus.MET,
    Action.ANSWER_PARTLY: AnswerStatus.PARTLY,
    Action.ANSWER_NOT_YET: AnswerStatus.NOT_YET,
    Action.ANSWER_NA: AnswerStatus.NA,
}


class View(StrEnum):
    INTAKE = "intake"
    RELEASE_REQUEST = "release_request"
    REJECT_REASON = "reject_reason"
    APPROVE = "approve_rationale"
    REQUEST_CHANGES = "changes_requested"
    SCORECARD = "scorecard"
    EDIT_INITIATIVE = "edit_initiative"
    GO_DECISION = "go_decision"
    BASELINE = "baseline"
    PROPOSAL_CHANGE = "proposal_change"
    SCORES = "scores"
    QUESTION_DETAILS = "question_details"
    AREA_PICKER = "area_picker"
    AREA_FORM = "area_form"


class Field(StrEnum):
    """Intake modal inputs: the block id and the action id are the same name."""

    NAME = "name"
    PURPOSE = "purpose"
    DATA_SOURCES = "data_sources"
    INTEGRATIONS = "integrations"
    BUSINESS_OWNER = "business_owner_id"
    TECHNICAL_OWNER = "technical_owner_id"
    RISK_TIER = "risk_tier"
    CHANNEL = "channel_id"
    GO_LIVE = "go_live_date"
    ASKS_IN = "asks_in"  # where each owner gets their questions: the review thread or a DM
    REASON = "reason"  # why the risk tier or the go/no-go date changed (the change form)


class DecisionField(StrEnum):
    """The go / no-go decision form's inputs (block id and action id alike), named as the domain names them."""

    OUTCOME = "outcome"
    DECIDED_BY = "decided_by"
    DECIDED_ON = "decided_on"
    REASON = "reason"
    NEW_DATE = "new_date"


class ScoreField(StrEnum):
    """The portfolio scores' inputs (intake and the score form; block id and action id alike), named as the domain
    names them."""

    VALUE = "value_score"
    FEASIBILITY = "feasibility_score"
    RISK = "risk_score"


class FormField(StrEnum):
    """The answer forms' inputs (block id and action id alike): per question, suffixed by its id (form_field)."""

    ANSWER = "form_answer"
    EVIDENCE = "form_evidence"
    AREA = "form_area"


def form_field(field: FormField, question_id: str) -> str:
    """The block id of one question's input in an answer form."""
    return f"{field}:{question_id}"


def question_ref(review_id: int, question_id: str) -> str:
    """A button value naming one question of one review."""
    return f"{review_id}:{question_id}"


def parse_question_ref(value: str) -> tuple[int, str] | None:
    review, _, question = value.partition(":")
    return (int(review), question) if review.isdigit() and question else None


def proposal_ref(review_id: int, question_id: str, prompt_version: str) -> str:
    """A proposal's button value: its question, and the version of the prompt that wrote it."""
    return f"{question_ref(review_id, question_id)}:{prompt_version}"


def parse_proposal_ref(value: str) -> tuple[int, str, str] | None:
    ref, _, version = value.rpartition(":")
    question = parse_question_ref(ref)
    return (*question, version) if question and version.isalnum() else None


def week_ref(initiative_id: int, week_start: date) -> str:
    """A button value naming one initiative's reporting week."""
    return f"{initiative_id}:{week_start.isoformat()}"


def parse_week_ref(value: str) -> tuple[int, date] | None:
    initiative, _, week = value.partition(":")
    try:
        return int(initiative), date.fromisoformat(week)
    except ValueError:
        return None
