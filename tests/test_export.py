"""The audit report and `show --json` through the served bot and the CLI: everything stored for an initiative
(answers with their history and evidence, waivers, approvals, a refused click, an AI proposal decided, a go
decision, the adoption history with its chart), in Markdown, CSV and JSON, only for those who may see it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.ai.assist import prompt
from bot.domain.approvals import RATIONALE, accept_field
from bot.domain.dossier import SCHEMA
from bot.domain.export import CSV_HEADER
from bot.slack.ids import Action, DecisionField
from storage.models import AuditEvent
from tests.reports_driver import cli, command_reply, csv_rows, uploaded
from tests.review_driver import (
    BUSINESS,
    EVIDENCE_REPLIES,
    OUTSIDER,
    REQUESTER,
    ReviewDriver,
    request_release,
)

NAME = "Invoice assistant"
MINUTE = timedelta(minutes=1)
AI_REPLY = "Some of it: Dana in Finance owns the KPI but the ops handoff is half done"
RATIONALE_TEXT = "Pilot capped at 50 invoices a day, each draft read by the AP lead"
GO_REASON = "Pilot met its targets on real invoices"
KEYS = {"schema", "generated_at", "initiative", "scores", "stage", "review", "answers", "release_requests",
        "refused_attempts", "ai_proposals", "model_calls", "go_decisions", "baselines", "adoption", "nudges",
        "audit_log"}
ANSWER_KEYS = {"question_id", "area", "question", "standards", "asked", "blocks_release", "status", "answered_by",
               "answered_at", "source", "evidence", "evidence_history", "history"}
REQUEST_KEYS = {"id", "requested_by", "requested_at", "tier", "verdict", "status", "approvals_channel", "expires_at",
                "reminded_at", "decided_at", "stale_since", "reject_reason", "waivers_by", "preread", "waivers",
                "decisions", "waiver_decisions", "change_requests"}


def _button(post: dict, action: Action) -> dict:
    return next(e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action)


def _submit(bot, command: str, values: dict, *, user: str) -> None:
    """Open a form with a command and submit it with these values."""
    assert bot.slack.command(command, user=user).status == 200
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    response = bot.slack.submit_view(view, values, user=user)
    assert response.status == 200 and not response.body, response.body
    bot.idle()


def audited_pilot(bot, framework) -> str:
    """A low-tier pilot's whole course: an AI proposal confirmed, every other question met with evidence, an
    answer changed twice, a release waived, refused and approved, a go decision, a baseline, and a week reported
    twice.
    The clock moves a minute between steps. Returns the first question's id."""
    driver = ReviewDriver(bot)
    thread = driver.start(NAME, tier="low")
    first = driver.current(thread)
    bot.clock.advance(MINUTE)
    driver.reply(thread, AI_REPLY, user="U400")
    proposal = [p for p in bot.fake.posts(thread_ts=thread) if p["text"].startswith("AI proposal")][-1]
    bot.slack.click(Action.AI_CONFIRM, _button(proposal, Action.AI_CONFIRM)["value"], user="U500",
                    message_ts=proposal["ts"])
    bot.idle()
    for question in [q for q in driver.questions(thread) if not q.answered]:
        bot.clock.advance(MINUTE)
        driver.click(question, Action.ANSWER_MET)
        shown = next(q for q in driver.questions(thread) if q.question_id == question.question_id)
        if "📎 _" in shown.text:  # the checklist asks for the evidence the question wants
            driver.reply(thread, EVIDENCE_REPLIES[framework.question(question.question_id).evidence.kind])
    assert any(p["text"].startswith("Readiness summary") for p in bot.fake.posts(top_level=True))
    changed = next(q for q in driver.questions(thread) if q.question_id != first.question_id)
    for action in (Action.ANSWER_NOT_YET, Action.ANSWER_MET):
        bot.clock.advance(MINUTE)
        driver.click(changed, action, user=BUSINESS)

    request_id = request_release(bot, framework, tier="low", waive={first.question_id})
    for refused in (OUTSIDER, REQUESTER):
        assert bot.slack.click(Action.APPROVE, str(request_id), user=refused).status == 200
        bot.idle()
    assert bot.slack.click(Action.APPROVE, str(request_id), user=BUSINESS).status == 200
    bot.idle()
    form = bot.fake.calls_to("views.open")[-1].params["view"]
    values = {RATIONALE: {"type": "plain_text_input", "value": RATIONALE_TEXT},
              accept_field(1): {"type": "radio_buttons", "selected_option": {"value": "accept"}}}
    assert bot.slack.submit_view(form, values, user=BUSINESS).json() == {}
    bot.idle()

    _submit(bot, f"decide {NAME}", {
        DecisionField.OUTCOME: {"type": "radio_buttons", "selected_option": {"value": "go"}},
        DecisionField.DECIDED_BY: {"type": "users_select", "selected_user": BUSINESS},
        DecisionField.DECIDED_ON: {"type": "datepicker", "selected_date": "2026-06-03"},
        DecisionField.REASON: {"type": "plain_text_input", "value": GO_REASON}}, user=BUSINESS)
    _submit(bot, f"baseline {NAME}", {"time_per_task_minutes": {"type": "number_input", "value": "45"}},
            user=BUSINESS)
    bot.clock.advance(timedelta(days=7))
    for active in ("40", "42"):
        bot.clock.advance(MINUTE)
        _submit(bot, f"report {NAME}", {name: {"type": "number_input", "value": value} for name, value in (
            ("active_users", active), ("repeat_users", "25"), ("hours_saved", "12.5"), ("feedback_count", "7"),
            ("escalations", "1"), ("incidents", "0"))}, user=BUSINESS)
    return first.question_id


def test_the_audit_report_holds_everything_stored_in_each_format(ai_bot, framework, tmp_path):
    first = audited_pilot(ai_bot, framework)

    shown = cli(ai_bot, "show", NAME, "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert set(record) == KEYS and record["schema"] == SCHEMA
    assert (record["initiative"]["name"], record["initiative"]["team_id"], record["stage"]) == (
        NAME, "T111", "in_production")
    asked = [q.id for q in framework.questions_for("low")]
    assert [a["question_id"] for a in record["answers"]] == asked
    assert all(set(a) == ANSWER_KEYS for a in record["answers"])
    assert set(record["answers"][0]["history"][0]) == {"status", "answered_by", "answered_at", "source"}
    assert set(record["answers"][0]["evidence"][0]) == {"text", "provided_by", "provided_at"}
    ai_answer = record["answers"][0]
    assert (ai_answer["question_id"], ai_answer["status"], ai_answer["answered_by"], ai_answer["source"]) == (
        first, "partly", "U500", "ai_confirmed")
    assert [(e["text"], e["provided_by"]) for e in ai_answer["evidence"]] == [
        (f"<@{BUSINESS}> (from the intake form)", REQUESTER)], "the reply the model read answered nothing: not stored"
    assert [s["label"] for s in ai_answer["standards"]] == [
        ref.label for ref in framework.question(first).standards]
    changed = record["answers"][1]
    assert [(h["status"], h["source"]) for h in changed["history"]] == [
        ("met", "button"), ("not_yet", "button"), ("met", "button")]
    [request] = record["release_requests"]
    assert set(request) == REQUEST_KEYS and request["status"] == "approved"
    assert request["waivers"][0]["question_ids"] == [first] and request["waivers"][0]["owner"] == "U300"
    assert [(d["role"], d["approver"], d["outcome"], d["rationale"]) for d in request["decisions"]] == [
        ("business_owner", BUSINESS, "approved", RATIONALE_TEXT)]
    assert [(w["number"], w["accepted"]) for w in request["waiver_decisions"]] == [(1, True)]
    assert set(request["waivers"][0]) == {"number", "question_ids", "reason", "owner", "due_date", "created_by",
                                          "created_at"}
    assert set(request["decisions"][0]) == {"role", "approver", "outcome", "reason", "rationale", "decided_at",
                                            "superseded_at"}
    assert {(r["actor"], r["kind"]) for r in record["refused_attempts"]} == {
        (OUTSIDER, "approval_refused"), (REQUESTER, "approval_refused")}
    [proposal] = record["ai_proposals"]
    version = prompt("assess_answer").version
    assert (proposal["question_id"], proposal["outcome"], proposal["prompt_version"], proposal["decided_by"]) == (
        first, "confirmed", version, "U500")
    assert any(c["purpose"] == "assess_answer" and c["prompt_version"] == version for c in record["model_calls"])
    [go] = record["go_decisions"]
    assert (go["outcome"], go["decided_by"], go["reason"]) == ("go", BUSINESS, GO_REASON)
    assert set(go) == {"outcome", "decided_by", "decided_on", "reason", "for_date", "new_date", "recorded_by",
                       "recorded_at"}
    assert [(b["time_per_task_minutes"], b["recorded_by"]) for b in record["baselines"]] == [(45, BUSINESS)]
    assert [(w["active_users"], w["current"]) for w in record["adoption"]] == [(40, False), (42, True)]

    report = cli(ai_bot, "export", NAME, "--format", "csv", cwd=tmp_path)
    rows = csv_rows(report.stdout)
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == sum(len(a["history"]) for a in record["answers"]), "one row per answer history entry"
    assert [(r["entry"], r["status"], r["current"]) for r in rows if r["question_id"] == changed["question_id"]] == [
        ("1", "met", "False"), ("2", "not_yet", "False"), ("3", "met", "True")]
    assert "(from the intake form)" in next(r["evidence"] for r in rows if r["question_id"] == first)
    assert "NIST AI RMF GOVERN 2" in next(r["standards"] for r in rows if r["question_id"] == first)

    as_json = json.loads(cli(ai_bot, "export", NAME, "--format", "json", cwd=tmp_path).stdout)
    assert {**as_json, "generated_at": None} == {**record, "generated_at": None}

    written = cli(ai_bot, "export", NAME, "--format", "md", "--out", str(tmp_path / "report.md"), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    markdown = (tmp_path / "report.md").read_text()
    assert (tmp_path / "invoice-assistant-adoption.png").read_bytes().startswith(b"\x89PNG")
    for expected in (
        "# Audit report: Invoice assistant", "## Intake", "Drafts invoice replies for the AP team",
        *(f". {framework.question(q).text}" for q in asked),
        "standards: NIST AI RMF GOVERN 2, ISO/IEC 42001 A.3.2",
        "**Current answer:** Partly, by U500", "(ai_confirmed)",
        "See https://wiki.example.com/readiness/evidence for the details",
        "| 2 | Not yet | U200 |", f"### Request {request['id']}: approved", "Manual check by the AP lead until the integration ships",
        RATIONALE_TEXT, "| business_owner | U200 | approved |", "| U999 | approval_refused | approved |",
        f"| confirmed | `{version}` |", "## Go / no-go decisions", GO_REASON, "| go | U200 |",
        "Baselines (the process before the AI", " (replaced) | 40 |",
        "![Adoption over the twelve weeks to the newest report](invoice-assistant-adoption.png)",
        "## Audit log",
    ):
        assert expected in markdown, expected


def test_export_sends_the_report_and_its_chart_to_the_person_who_asked_by_dm(ai_bot, framework):
    audited_pilot(ai_bot, framework)
    reply = command_reply(ai_bot, f"export {NAME}", user="U500")
    assert reply == {**reply, "response_type": "ephemeral",
                     "text": "I sent you the audit report of Invoice assistant by DM, with its adoption chart."}
    shared = ai_bot.fake.calls_to("files.completeUploadExternal")[-1].params
    assert shared["channel_id"] == "D500" and "The audit report of Invoice assistant" in shared["initial_comment"]
    files = uploaded(ai_bot.fake)
    assert files["invoice-assistant-adoption.png"].startswith(b"\x89PNG")
    markdown = files["invoice-assistant-audit.md"].decode()
    assert "# Audit report: Invoice assistant" in markdown and "(invoice-assistant-adoption.png)" in markdown


def test_an_outsider_asking_to_export_is_refused_in_one_line_and_audited(bot):
    ReviewDriver(bot).start(NAME, tier="low")
    reply = command_reply(bot, f"export {NAME}", user=OUTSIDER)
    assert reply["text"] == ("You can't export the audit report of Invoice assistant: it belongs to <#C111> and "
                             "you're not a member. Ask someone in that channel to invite you.")
    assert bot.fake.uploads == []
    with Session(bot.engine) as session:
        [refused] = session.exec(select(AuditEvent).where(AuditEvent.kind == "refused_access")).all()
    assert (refused.actor, refused.detail["attempted"]) == (OUTSIDER, "export")


def test_show_and_export_name_an_unknown_initiative_in_one_line(bot, tmp_path):
    for args in (("show", "Nothing here", "--json"), ("export", "Nothing here", "--format", "md")):
        result = cli(bot, *args, cwd=tmp_path)
        assert result.returncode == 2 and result.stdout == b""
        assert result.stderr.decode().strip() == "readiness-bot: No initiative is called “Nothing here”."
