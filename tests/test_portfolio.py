"""/readiness portfolio and /readiness score through the served bot: the ranking (the formula read from prompts/),
counts per stage and per risk tier, the CSV sent by DM, and only what the person may see."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from sqlmodel import Session, select

from bot.framework import FrameworkError
from bot.portfolio_formula import DEFAULT_PORTFOLIO_PATH, load_portfolio
from bot.slack.ids import Action, DecisionField, ScoreField, View
from bot.text import csv_bytes
from storage.models import AuditEvent, Initiative
from tests.conftest import RunningBot
from tests.reports_driver import (
    command_reply,
    csv_rows,
    score_values,
    start_scored,
    uploaded,
)
from tests.review_driver import (
    BUSINESS,
    OUTSIDER,
    RISK,
    ReviewDriver,
    complete_by_area,
    request_release,
)
from tests.served import CLI, bot_env

CSV_NAME = "portfolio-2026-06-03.csv"  # the day on the bot's clock
SEED_MATRIX = {  # the seed's scoring matrix (004_63c94d105911837b.txt), and ties to break
    "Customer support reply assist": (4, 4, 2),
    "Invoice anomaly detection": (3, 3, 3),
    "Credit decision automation": (5, 2, 5),
    "Sales call summarization": (3, 4, 2),
    "Ticket routing": (4, 4, 1),  # ties reply assist on value × feasibility, at lower risk
    "Vendor onboarding": (4, 3, 2),  # ties sales calls on value × feasibility and risk, at higher value
}


@pytest.fixture(autouse=True)
def risk_group(monkeypatch):
    monkeypatch.setenv("READINESS_RISK_APPROVERS", RISK)


def ranked(reply: dict) -> list[tuple[str, str]]:
    """(name, score) of each ranked line of the portfolio message, in order."""
    shown = "\n".join(b["text"]["text"] for b in reply["blocks"] if b["type"] == "section")
    return re.findall(r"^\d+\. \*(.+?)\*: (\S+) \(", shown, re.MULTILINE)


def shown(reply: dict) -> str:
    return "\n".join(b["text"]["text"] if b["type"] == "section" else b["elements"][0]["text"]
                     for b in reply["blocks"] if b["type"] in ("section", "context"))


def test_ranked_by_value_times_feasibility_lower_risk_first_on_ties_unscored_last_with_the_csv_by_dm(bot):
    for name, scores in SEED_MATRIX.items():
        assert start_scored(bot, name, scores, tier="medium") == {}
    assert start_scored(bot, "Meeting notes", tier="low") == {}, "the scores are optional"

    reply = command_reply(bot, "portfolio")
    assert reply["response_type"] == "ephemeral"
    assert ranked(reply) == [("Ticket routing", "16"), ("Customer support reply assist", "16"),
                             ("Vendor onboarding", "12"), ("Sales call summarization", "12"),
                             ("Credit decision automation", "10"), ("Invoice anomaly detection", "9")]
    text = shown(reply)
    assert "*7 initiatives you can see*, ranked by value × feasibility, then lower risk first, then higher value " \
           "first." in text
    assert "*Not scored yet (1):* score each with `/readiness score <name>`" in text
    assert "• *Meeting notes* · intake" in text
    assert "*By risk tier:* low 1 · medium 6 · high 0" in text
    assert "The full list, as a CSV, is in your DM with me." in text

    [shared] = bot.fake.calls_to("files.completeUploadExternal")
    assert shared.params["channel_id"] == "D100", "uploaded to the DM of the person who asked"
    rows = csv_rows(uploaded(bot.fake)[CSV_NAME])
    assert [(r["rank"], r["name"], r["score"], r["value"], r["feasibility"], r["risk"]) for r in rows] == [
        ("1", "Ticket routing", "16", "4", "4", "1"), ("2", "Customer support reply assist", "16", "4", "4", "2"),
        ("3", "Vendor onboarding", "12", "4", "3", "2"), ("4", "Sales call summarization", "12", "3", "4", "2"),
        ("5", "Credit decision automation", "10", "5", "2", "5"), ("6", "Invoice anomaly detection", "9", "3", "3", "3"),
        ("", "Meeting notes", "", "", "", "")]
    first = rows[0]
    assert (first["stage"], first["risk_tier"], first["team_channel"], first["business_owner"]) == (
        "intake", "medium", "C111", "U200")
    assert (first["scored_by"], first["questions_answered"], first["verdict"]) == ("U100", "0", "Not ready")


def decide_go(bot, name: str) -> None:
    assert bot.slack.command(f"decide {name}", user=BUSINESS).status == 200
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    values = {DecisionField.OUTCOME: {"type": "radio_buttons", "selected_option": {"value": "go"}},
              DecisionField.DECIDED_BY: {"type": "users_select", "selected_user": BUSINESS},
              DecisionField.DECIDED_ON: {"type": "datepicker", "selected_date": "2026-06-03"},
              DecisionField.REASON: {"type": "plain_text_input", "value": "Targets met on real invoices"}}
    assert bot.slack.submit_view(view, values, user=BUSINESS).status == 200
    bot.idle()


def stages(bot, user: str = "U100") -> dict[str, str]:
    command_reply(bot, "portfolio", user=user)
    return {row["name"]: row["stage"] for row in csv_rows(uploaded(bot.fake)[CSV_NAME])}


def test_counts_per_stage_and_risk_tier_follow_each_initiative_to_production(bot, framework):
    assert start_scored(bot, "Fresh idea", (2, 2, 2), tier="medium") == {}
    driver = ReviewDriver(bot)
    halfway = driver.start("Halfway there", tier="high")
    driver.click(driver.current(halfway), Action.ANSWER_MET)
    assert start_scored(bot, "Old pilot", tier="medium") == {}
    assert "is retired" in command_reply(bot, "retire Old pilot", user=BUSINESS)["text"]
    complete_by_area(bot, framework, tier="low", name="Ledger helper")
    assert stages(bot) == {"Fresh idea": "intake", "Halfway there": "in review", "Old pilot": "retired",
                           "Ledger helper": "ready"}

    request_id = request_release(bot, framework, tier="low")
    assert stages(bot)["Ledger helper"] == "awaiting approval"
    assert bot.slack.click(Action.APPROVE, str(request_id), user=BUSINESS).status == 200
    bot.idle()
    assert stages(bot)["Ledger helper"] == "approved"
    decide_go(bot, "Ledger helper")
    assert stages(bot)["Ledger helper"] == "in production"

    text = shown(command_reply(bot, "portfolio"))
    assert ("*By stage:* intake 1 · in review 1 · ready 0 · awaiting approval 0 · approved 0 · in production 1 · "
            "retired 1") in text
    assert "*By risk tier:* low 1 · medium 2 · high 1" in text
    assert ranked(command_reply(bot, "portfolio")) == [("Fresh idea", "4")]


def test_each_person_sees_the_initiatives_of_their_channels_and_those_they_own_or_approve(bot):
    bot.fake.channel_members["C222"] = ["U600", "UBOT0001"]
    assert start_scored(bot, "Team A tool", (3, 3, 3), tier="low") == {}
    for name, tier in (("Team B tool", "medium"), ("Team B risky", "high")):
        assert start_scored(bot, name, (4, 4, 4), tier=tier, channel="C222", business="U210", technical="U310") == {}

    def names(user: str) -> list[str]:
        reply = command_reply(bot, "portfolio", user=user)
        csv_names = sorted(r["name"] for r in csv_rows(uploaded(bot.fake)[CSV_NAME]))
        assert sorted(name for name, _ in ranked(reply)) == csv_names, "the message and the CSV show the same"
        return csv_names

    assert names("U100") == ["Team A tool"], "not the initiatives of a channel the person is not in"
    assert names("U600") == ["Team B risky", "Team B tool"]
    assert names("U210") == ["Team B risky", "Team B tool"], "an owner sees what they own from anywhere"
    assert names(RISK) == ["Team A tool", "Team B risky"], "a risk approver sees the high tier's too"
    uploads = len(bot.fake.uploads)
    reply = command_reply(bot, "portfolio", user=OUTSIDER)
    assert reply["text"].startswith("You can't see any initiative of this workspace yet")
    assert len(bot.fake.uploads) == uploads, "no CSV for someone who sees nothing"


def test_the_ranking_formula_is_read_from_the_prompts_file(engine, database_url, fake_slack, clock, tmp_path):
    raw = yaml.safe_load(DEFAULT_PORTFOLIO_PATH.read_text())
    raw["score"] = {"combine": "sum", "weights": {"value": 1, "feasibility": 1, "risk": -2}}
    raw["then_by"] = [{"factor": "feasibility", "order": "descending"}]
    (tmp_path / "portfolio.yaml").write_text(yaml.safe_dump(raw))
    bot = RunningBot(database_url, fake_slack, clock=clock, portfolio_path=tmp_path / "portfolio.yaml").start()
    try:
        for name, scores in (("Big bet", (5, 5, 5)), ("Safe win", (3, 3, 1)), ("Quick win", (4, 4, 2))):
            assert start_scored(bot, name, scores, tier="low") == {}
        reply = command_reply(bot, "portfolio")
        assert ranked(reply) == [("Quick win", "4"), ("Safe win", "4"), ("Big bet", "0")]
        assert "ranked by value + feasibility − 2·risk, then higher feasibility first." in shown(reply)
    finally:
        bot.stop()


@pytest.mark.parametrize(("change", "problem"), [
    ({"score": {"combine": "product", "weights": {"worth": 1}}}, "score.weights.worth"),
    ({"score": {"combine": "product", "weights": {"value": 0}}}, "at least one factor a weight other than 0"),
    ({"score": {"combine": "average", "weights": {"value": 1}}}, "score.combine"),
    ({"then_by": [{"factor": "risk", "order": "ascending"}, {"factor": "risk", "order": "descending"}]},
     "then_by names a factor twice"),
])
def test_a_broken_portfolio_file_is_refused_in_one_line_naming_the_item(tmp_path, change, problem):
    raw = {**yaml.safe_load(DEFAULT_PORTFOLIO_PATH.read_text()), **change}
    broken = tmp_path / "portfolio.yaml"
    broken.write_text(yaml.safe_dump(raw))
    with pytest.raises(FrameworkError, match=re.escape(problem)):
        load_portfolio(broken)
    result = subprocess.run([str(CLI), "serve", "--port", "0"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, check=False, env=bot_env(READINESS_PORTFOLIO=str(broken),
                                                    DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and str(broken) in result.stderr


def test_scores_are_asked_at_intake_all_three_or_none(bot):
    errors = start_scored(bot, "Half scored", (4, None, None))["errors"]
    assert errors == {ScoreField.FEASIBILITY: "Score the feasibility, 1 to 5, or leave all three scores empty.",
                      ScoreField.RISK: "Score the risk, 1 to 5, or leave all three scores empty."}
    intake = bot.fake.calls_to("views.open")[-1].params["view"]
    menus = {b["block_id"]: b for b in intake["blocks"] if b.get("block_id") in set(ScoreField)}
    assert all(menu["optional"] for menu in menus.values())
    assert menus[ScoreField.RISK]["hint"]["text"].startswith("Harm if wrong")


def scores_of(bot, name: str) -> tuple:
    with Session(bot.engine) as session:
        i = session.exec(select(Initiative).where(Initiative.name == name)).one()
        return i.value_score, i.feasibility_score, i.risk_score, i.scored_by


def test_score_opens_a_form_with_the_scores_as_they_are_and_the_audit_log_keeps_the_old_ones(bot):
    assert start_scored(bot, "Contract review", (2, 3, 4), tier="low") == {}
    assert scores_of(bot, "Contract review") == (2, 3, 4, "U100")
    assert bot.slack.command("score Contract review", user="U500").status == 200
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    assert view["callback_id"] == View.SCORES
    initial = {b["block_id"]: b["element"]["initial_option"]["value"] for b in view["blocks"]
               if b.get("block_id") in set(ScoreField)}
    assert initial == {ScoreField.VALUE: "2", ScoreField.FEASIBILITY: "3", ScoreField.RISK: "4"}
    assert bot.slack.submit_view(view, score_values(5, None, 1), user="U500").json()["errors"] == {
        ScoreField.FEASIBILITY: "Score the feasibility, 1 to 5."}
    assert bot.slack.submit_view(view, score_values(5, 4, 1), user="U500").json() == {}
    bot.idle()
    assert scores_of(bot, "Contract review") == (5, 4, 1, "U500")
    assert bot.fake.posts(channel="U500")[-1]["text"].startswith("Saved the scores of Contract review: value 5")
    with Session(bot.engine) as session:
        [scored] = session.exec(select(AuditEvent).where(AuditEvent.kind == "initiative_scored")).all()
    assert scored.detail == {"previous": {"value": 2, "feasibility": 3, "risk": 4},
                             "scores": {"value": 5, "feasibility": 4, "risk": 1}}


def test_an_outsider_cannot_score_and_is_told_in_one_line(bot):
    assert start_scored(bot, "Contract review", tier="low") == {}
    opened = len(bot.fake.calls_to("views.open"))
    reply = command_reply(bot, "score Contract review", user=OUTSIDER)
    assert reply["text"] == ("You can't score Contract review: it belongs to <#C111> and you're not a member. Ask "
                             "someone in that channel to invite you.")
    assert len(bot.fake.calls_to("views.open")) == opened
    with Session(bot.engine) as session:
        [refused] = session.exec(select(AuditEvent).where(AuditEvent.kind == "refused_access")).all()
    assert (refused.actor, refused.detail["attempted"]) == (OUTSIDER, "score")


def test_no_csv_cell_people_typed_runs_as_a_formula_in_a_spreadsheet():
    content = csv_bytes(("name", "score"), [("=HYPERLINK(\"https://evil.example\")", 16), ("@SUM(A1)", None),
                                            ("Plain name", 9)])
    assert [(r["name"], r["score"]) for r in csv_rows(content)] == [
        ("'=HYPERLINK(\"https://evil.example\")", "16"), ("'@SUM(A1)", ""), ("Plain name", "9")]
