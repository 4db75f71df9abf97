"""The audit report of one initiative, built from its dossier (bot/domain/dossier.py): Markdown for people to
read (with the adoption chart beside it), CSV with one row per answer history entry, and JSON.

The seeds ask every production pilot for an audit trail and an explainability record: who answered what, when,
with which evidence; who waived and approved what, and who was refused; what the model proposed and under which
prompt version; the go / no-go decision; and whether people use it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from bot.domain import adoption, chart
from bot.domain.adoption import BOUNDS
from bot.domain.stages import Stage
from bot.text import csv_bytes
from storage.models import Scorecard


class Format(StrEnum):
    MD = "md"
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    title: str


def slug(name: str) -> str:
    """A file name's stem from an initiative's name, e.g. invoice-assistant."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "initiative"


def adoption_chart(initiative_id: int, name: str, *, session: Session) -> bytes | None:
    """The chart of the twelve weeks up to the newest week reported (None: nothing was ever reported)."""
    newest = session.exec(select(Scorecard.week_start).where(Scorecard.initiative_id == initiative_id)
                          .order_by(Scorecard.week_start.desc())).first()
    if newest is None:
        return None
    return chart.render(adoption.trend(initiative_id, newest, session=session), f"{name}: adoption, 12 weeks")


def report_files(record: dict[str, Any], fmt: Format, *, chart_png: bytes | None = None) -> list[ReportFile]:
    """The report in one format; the Markdown comes with the chart beside it, when there is one."""
    name = record["initiative"]["name"]
    stem = f"{slug(name)}-audit"
    if fmt is Format.JSON:
        return [ReportFile(f"{stem}.json", to_json(record).encode(), f"{name}: everything stored (JSON)")]
    if fmt is Format.CSV:
        return [ReportFile(f"{stem}.csv", history_csv(record), f"{name}: answer history (CSV)")]
    picture = f"{slug(name)}-adoption.png" if chart_png else None
    files = [ReportFile(f"{stem}.md", markdown(record, chart_file=picture).encode(), f"{name}: audit report")]
    if chart_png:
        files.append(ReportFile(picture, chart_png, f"{name}: adoption, 12 weeks"))
    return files


def to_json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


# --- CSV ---------------------------------------------------------------------------------------------------------

CSV_HEADER = ("question_id", "area", "question", "standards", "asked", "blocks_release", "entry", "current",
              "status", "answered_by", "answered_at", "source", "evidence")


def history_csv(record: dict[str, Any]) -> bytes:
    """One row per answer history entry, oldest first per question; `evidence` is what was given from that answer
    until the next one (the first entry also takes what was given before it), one line each."""
    rows = []
    for answer in record["answers"]:
        history = answer["history"]
        for n, entry in enumerate(history):
            after = entry["answered_at"] if n else None
            until = history[n + 1]["answered_at"] if n + 1 < len(history) else None
            evidence = [e for e in answer["evidence"] if (after is None or _at(e["provided_at"]) >= _at(after))
                        and (until is None or _at(e["provided_at"]) < _at(until))]
            rows.append((
                answer["question_id"], answer["area"], answer["question"],
                "; ".join(s["label"] for s in answer["standards"]), answer["asked"], answer["blocks_release"],
                n + 1, n + 1 == len(history), entry["status"], entry["answered_by"], entry["answered_at"],
                entry["source"], "\n".join(f"{e['provided_at']} {e['provided_by']}: {e['text']}" for e in evidence),
            ))
    return csv_bytes(CSV_HEADER, rows)


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


# --- Markdown ----------------------------------------------------------------------------------------------------

_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_MARKDOWN = re.compile(r"([\\`*\[\]<>|~#])")  # not _: inside words (and links) it never formats
STATUS_WORDS = {"met": "Met", "partly": "Partly", "not_yet": "Not yet", "na": "N/A", "skipped": "Skipped",
                None: "Not answered"}


def _unslack(text: str) -> str:
    """Text from a Slack message as plain text: links as "label (url)", mentions as @id, entities decoded."""
    def plain(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith(("@", "!")):
            return "@" + (label.lstrip("@") or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_SLACK_MARKUP.sub(plain, text))


def _md(text: str | None, *, slack: bool = False) -> str:
    """People's text as Markdown that shows it as written: no formatting, links, headings or HTML of its own."""
    if not text:
        return ""
    return _MARKDOWN.sub(r"\\\1", _unslack(text) if slack else text)


def _cell(text: Any, *, slack: bool = False) -> str:
    if text is None or text == "":
        return "—"
    return _md(str(text), slack=slack).replace("\r", "").replace("\n", "<br>")


def _code(text: str) -> str:
    """Text as a Markdown code span that fits in a table cell: shown exactly as it is."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text.replace('|', chr(92) + '|')} {fence}"


def _when(moment: str | None) -> str:
    return _at(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    return [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}",
            *(f"| {' | '.join(row)} |" for row in rows), ""]


def markdown(record: dict[str, Any], *, chart_file: str | None = None) -> str:
    """The audit report: intake, every answer with its history and evidence, release requests and approvals,
    refused attempts, AI proposals with their prompt versions, go / no-go decisions and the adoption history."""
    i, review = record["initiative"], record["review"]
    lines = [
        f"# Audit report: {_md(i['name'])}", "",
        (f"Generated {_when(record['generated_at'])} by Readiness Bot from everything stored for this initiative "
         f"(`{record['schema']}`). People are named by their Slack user id; times are UTC."), "",
        *_intake(record),
        "## Review", "",
        f"Framework {_md(review['framework'])} (version `{review['framework_version']}`), risk tier "
        f"{i['risk_tier']}: **{review['verdict']}**, {review['answered']} of {review['asked']} questions answered, "
        f"{len(review['blocking'])} blocking release. Review started {_when(review['started_at'])}"
        + (f"; summary posted {_when(review['summary_posted_at'])}." if review["summary_posted_at"] else "."), "",
        *_answers(record["answers"]),
        *_requests(record["release_requests"]),
        *_refused(record["refused_attempts"]),
        *_ai(record["ai_proposals"], record["model_calls"]),
        *_decisions(record["go_decisions"]),
        *_adoption(record, chart_file),
        *_audit_log(record["audit_log"]),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _intake(record: dict[str, Any]) -> list[str]:
    i, scores = record["initiative"], record["scores"]
    scored = (f"value {scores['value']}, feasibility {scores['feasibility']}, risk {scores['risk']} "
              f"(by {scores['scored_by']}, {_when(scores['scored_at'])})" if scores["value"] is not None
              else "not scored yet")
    rows = [
        ("What it does and for whom", _cell(i["purpose"])),
        ("Data sources and systems of record", _cell(i["data_sources"])),
        ("Systems it integrates with", _cell(i["integrations"])),
        ("Business owner", i["business_owner"]), ("Technical owner", i["technical_owner"]),
        ("Risk tier", i["risk_tier"]), ("Team channel", i["channel"]), ("Workspace", i["team_id"]),
        ("Go/no-go date", i["go_live_date"] or "—"),
        ("Started", f"{_when(i['created_at'])} by {i['created_by']}"),
        ("Retired", _when(i["retired_at"])),
        ("Stage", Stage(record["stage"]).label), ("Portfolio scores", scored),
    ]
    return ["## Intake", "", *_table(("", "as recorded"), rows)]


def _answers(answers: list[dict[str, Any]]) -> list[str]:
    lines = ["## Answers", ""]
    for n, a in enumerate(answers, 1):
        title = _md(a["question"]) if a["question"] else f"`{a['question_id']}` (no longer in the framework)"
        facts = [f"`{a['question_id']}`"]
        if a["area"]:
            facts.append(f"area: {_md(a['area'])}")
        facts.append("standards: " + (", ".join(_md(s["label"]) for s in a["standards"]) or "none tagged"))
        facts.append("blocks release at this tier" if a["blocks_release"] else "does not block release")
        if not a["asked"]:
            facts.append("no longer asked at this tier")
        lines += [f"### {n}. {title}", "", " · ".join(facts), ""]
        if a["status"] is None:
            lines += ["**Current answer:** not answered.", ""]
        else:
            lines += [(f"**Current answer:** {STATUS_WORDS[a['status']]}, by {a['answered_by']} on "
                       f"{_when(a['answered_at'])} ({a['source']})."), ""]
        if a["evidence"]:
            lines.append("Evidence:")
            lines += [f"- {_when(e['provided_at'])}, {e['provided_by']}: {_cell(e['text'], slack=True)}"
                      for e in a["evidence"]]
            lines.append("")
        if a["history"]:
            lines += ["History:", "", *_table(("#", "answer", "by", "when", "how"), [
                (str(k), STATUS_WORDS[h["status"]], h["answered_by"], _when(h["answered_at"]), h["source"])
                for k, h in enumerate(a["history"], 1)])]
    return lines


def _requests(requests: list[dict[str, Any]]) -> list[str]:
    lines = ["## Release requests, waivers and approvals", ""]
    if not requests:
        return [*lines, "No release was requested.", ""]
    for r in requests:
        lines += [f"### Request {r['id']}: {r['status']}", "",
                  f"Requested by {r['requested_by']} on {_when(r['requested_at'])} at risk tier {r['tier']}, verdict "
                  f"{r['verdict']}; open until {_when(r['expires_at'])}; decided {_when(r['decided_at'])}"
                  + (f"; stale since {_when(r['stale_since'])}" if r["stale_since"] else "")
                  + (f". Rejected because: {_cell(r['reject_reason'])}" if r["reject_reason"] else "") + ".", ""]
        if r["waivers"]:
            lines += ["Waivers:", "", *_table(("#", "conditions", "why", "owner", "due", "by"), [
                (str(w["number"]), ", ".join(f"`{q}`" for q in w["question_ids"]), _cell(w["reason"]), w["owner"],
                 w["due_date"], w["created_by"]) for w in r["waivers"]])]
        if r["decisions"]:
            lines += ["Decisions:", "", *_table(("role", "by", "decision", "why", "when", "superseded"), [
                (d["role"], d["approver"], d["outcome"], _cell(d["rationale"] or d["reason"]),
                 _when(d["decided_at"]), _when(d["superseded_at"])) for d in r["decisions"]])]
        if r["waiver_decisions"]:
            lines += ["Decisions on the waivers:", "", *_table(("waiver", "role", "by", "accepted", "why declined",
                                                                 "when", "superseded"), [
                (str(w["number"]), w["role"], w["decided_by"], "yes" if w["accepted"] else "no", _cell(w["reason"]),
                 _when(w["decided_at"]), _when(w["superseded_at"])) for w in r["waiver_decisions"]])]
        if r["change_requests"]:
            lines += ["Changes asked for:", ""]
            lines += [f"- {_when(c['requested_at'])}, {c['approver']}: {_cell(c['what'])}" for c in r["change_requests"]]
            lines.append("")
        if r["preread"]:
            lines += ["Approvers' AI-written pre-read questions:", ""]
            lines += [f"- {_cell(q)}" for q in r["preread"]]
            lines.append("")
    return lines


def _refused(refused: list[dict[str, Any]]) -> list[str]:
    lines = ["## Refused attempts", ""]
    if not refused:
        return [*lines, "Nobody was refused.", ""]
    return [*lines, *_table(("when", "who", "refused", "tried", "why"), [
        (_when(r["at"]), r["actor"], r["kind"], _cell(r["attempted"]),
         _cell(r["why"] or (f"not an approver of request {r['request_id']}" if r["request_id"] else None)))
        for r in refused])]


def _ai(proposals: list[dict[str, Any]], calls: list[dict[str, Any]]) -> list[str]:
    lines = ["## AI proposals and model calls", ""]
    if not proposals and not calls:
        return [*lines, "The model was not used for this initiative.", ""]
    if proposals:
        lines += ["Proposals a person decided (nothing the model proposes is recorded until a person confirms it):",
                  "", *_table(("when", "who", "question", "decision", "prompt version", "why changed"), [
                      (_when(p["at"]), p["decided_by"], f"`{p['question_id']}`", p["outcome"],
                       f"`{p['prompt_version']}`", _cell(p["reason"])) for p in proposals])]
    if calls:
        lines += ["Model calls:", "", *_table(("when", "purpose", "prompt version", "model", "tokens in",
                                               "tokens out", "latency (ms)", "outcome"), [
            (_when(c["created_at"]), c["purpose"], f"`{c['prompt_version']}`", _cell(c["model"]), str(c["tokens_in"]),
             str(c["tokens_out"]), str(c["latency_ms"]), c["outcome"]) for c in calls])]
    return lines


def _decisions(decisions: list[dict[str, Any]]) -> list[str]:
    lines = ["## Go / no-go decisions", ""]
    if not decisions:
        return [*lines, "No go / no-go decision was recorded.", ""]
    return [*lines, *_table(("decided on", "decision", "by", "why", "for the date", "new date", "recorded"), [
        (d["decided_on"], d["outcome"].replace("_", "-"), d["decided_by"], _cell(d["reason"]), d["for_date"] or "—",
         d["new_date"] or "—", f"{_when(d['recorded_at'])} by {d['recorded_by']}") for d in decisions])]


_METRICS = (*BOUNDS, "north_star", "guardrail_1", "guardrail_2")
_METRIC_LABELS = {**{name: bound.label for name, bound in BOUNDS.items()}, "north_star": "North star",
                  "guardrail_1": "Guardrail 1", "guardrail_2": "Guardrail 2"}


def _adoption(record: dict[str, Any], chart_file: str | None) -> list[str]:
    lines = ["## Adoption", ""]
    baselines, weeks = record["baselines"], record["adoption"]
    if baselines:
        lines += ["Baselines (the process before the AI; the newest counts):", "", *_table(
            ("recorded", "time per task (min)", "tasks per week", "error rate (%)", "cost per task", "north star",
             "guardrail 1", "guardrail 2"),
            [(f"{_when(b['recorded_at'])} by {b['recorded_by']}", *(_cell(b[k]) for k in (
                "time_per_task_minutes", "volume_per_week", "error_rate", "cost_per_task")),
              *(_metric(b, key) for key in ("north_star", "guardrail_1", "guardrail_2"))) for b in baselines])]
    if not weeks:
        return [*lines, "No weekly adoption numbers were reported.", ""]
    lines += ["Weekly reports (a week reported again keeps the earlier report, marked replaced):", "", *_table(
        ("week", *(_METRIC_LABELS[m] for m in _METRICS), "top themes", "note", "reported"),
        [(w["week_start"] + ("" if w["current"] else " (replaced)"), *(_cell(w[m]) for m in _METRICS),
          _cell(w["top_themes"]), _cell(w["note"]), f"{_when(w['reported_at'])} by {w['reported_by']}")
         for w in weeks])]
    if chart_file:
        lines += [f"![Adoption over the twelve weeks to the newest report]({chart_file})", ""]
    return lines


def _metric(baseline: dict[str, Any], key: str) -> str:
    name = baseline[f"{key}_name"]
    if not name:
        return "—"
    value = baseline[f"{key}_baseline"] if key == "north_star" else baseline[f"{key}_threshold"]
    unit = f" {baseline[f'{key}_unit']}" if baseline[f"{key}_unit"] else ""
    return f"{_cell(name)}: {_cell(value)}{_md(unit)} ({baseline[f'{key}_direction']} is better)"


def _audit_log(events: list[dict[str, Any]]) -> list[str]:
    return ["## Audit log", "", *_table(("when", "who", "what", "detail"), [
        (_when(e["at"]), e["actor"], e["kind"], _code(json.dumps(e["detail"], ensure_ascii=False, sort_keys=True)))
        for e in events])]
