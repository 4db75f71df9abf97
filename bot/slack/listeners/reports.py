"""The portfolio and the audit report: /readiness portfolio, score and export (dispatched by commands.py), and the
score form's submission. Each shows only what the person may see."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from sqlmodel import select

from bot.domain import access, dossier, export, portfolio, scores
from bot.domain.access import Actor, Attempt
from bot.errors import SlackDeliveryError
from bot.services import Services
from bot.slack import delivery, files
from bot.slack.approver_groups import approvers
from bot.slack.authorization import CHANNEL_MEMBERS, authorize
from bot.slack.blocks import portfolio as blocks
from bot.slack.channel_members import ChannelMembers
from bot.slack.failures import reports_errors
from bot.slack.ids import View
from bot.text import from_plain
from storage.models import Initiative, Workspace


def _visible(context: BoltContext, services: Services, team_id: str) -> list[Initiative]:
    """The workspace's initiatives this person may see: of the channels they are in, and those they own or
    approve (the access rule, with each channel's members asked of Slack once and remembered for a minute)."""
    members: ChannelMembers = context[CHANNEL_MEMBERS]
    now = services.clock.now()
    with services.reading() as session:
        channels = set(session.exec(select(Initiative.channel_id).join(Workspace)
                                    .where(Workspace.team_id == team_id)).all())
    theirs = {c for c in channels if members.includes(context.client, c, context.user_id, now=now)}
    actor = Actor(context.user_id, context.actor_team_id or context.team_id)
    rule = access.seen_by(actor, channels=theirs, policy=services.policy,
                          in_group=approvers(context.client, services).is_member)
    with services.reading() as session:
        return list(session.exec(select(Initiative).join(Workspace).where(Workspace.team_id == team_id, rule)
                                 .order_by(Initiative.id)).all())


def show_portfolio(command: dict, client, context: BoltContext) -> tuple[str, list[dict] | None]:
    """The ranked portfolio for the person who asked, with its CSV sent to them by DM."""
    services: Services = context["services"]
    team_id = command["team_id"]
    initiatives = _visible(context, services, team_id)
    if not initiatives:
        return (("You can't see any initiative of this workspace yet: start one with `/readiness new <name>`, or "
                 "ask to be invited to a team channel that has one."), None)
    with services.reading() as session:
        found = portfolio.build(initiatives, session=session, framework=services.framework,
                                formula=services.portfolio)
    day = services.clock.now().date().isoformat()
    csv = export.ReportFile(f"portfolio-{day}.csv", portfolio.to_csv(found), f"Portfolio, {day}")
    try:
        files.send_to(client, command["user_id"], [csv], comment=f"The portfolio as of {day}: every initiative you "
                      "can see, ranked, with its scores, stage and risk tier.")
        sent = "The full list, as a CSV, is in your DM with me."
    except SlackDeliveryError as failed:
        sent = str(failed)
    return blocks.build_portfolio_message(found, csv_sent=sent)


def send_export(initiative_id: int, user_id: str, client, services: Services) -> str:
    """Upload the audit report (Markdown, with the adoption chart beside it) to the person's DM; what to tell them."""
    with services.reading() as session:
        initiative = session.get(Initiative, initiative_id)
        record = dossier.dossier(initiative, session=session, framework=services.framework,
                                 now=services.clock.now())
        chart = export.adoption_chart(initiative_id, initiative.name, session=session)
    report = export.report_files(record, export.Format.MD, chart_png=chart)
    name = from_plain(initiative.name)
    files.send_to(client, user_id, report, comment=f"The audit report of {name}: intake, every answer with its "
                  "history and evidence, waivers, approvals and refused attempts, AI proposals, the go/no-go "
                  "decision and the adoption history.")
    return f"I sent you the audit report of {name} by DM" + (", with its adoption chart." if chart else ".")


def open_score_form(client, trigger_id: str, initiative_id: int, services: Services) -> None:
    with services.reading() as session:
        initiative = session.get(Initiative, initiative_id)
    client.views_open(trigger_id=trigger_id, view=blocks.build_score_modal(
        initiative.name, initiative.id, scores.Scores.of(initiative), formula=services.portfolio.describe()))


def handle_score_submission(ack, body: dict, view: dict, client, context) -> None:
    services: Services = context["services"]
    user_id = body["user"]["id"]
    initiative_id = blocks.score_modal_initiative(view)
    authorize(context, Attempt.SCORE, initiative_id=initiative_id)
    chosen = blocks.read_scores(view)
    try:
        with services.session() as session:
            initiative = scores.score(initiative_id, chosen, user_id=user_id, session=session)
    except scores.ScoreErrors as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    delivery.tell(client, user=user_id, channel=None,
                  text=f"Saved the scores of {from_plain(initiative.name)}: value {chosen.value}, feasibility "
                       f"{chosen.feasibility}, risk {chosen.risk}. `/readiness portfolio` ranks it.")


def register(app: App) -> None:
    app.view(View.SCORES)(reports_errors(handle_score_submission))
