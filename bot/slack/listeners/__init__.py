"""Thin listeners grouped by kind; each module has register(app)."""

from slack_bolt import App

from bot.slack.authorization import CHANNEL_MEMBERS
from bot.slack.channel_members import ChannelMembers
from bot.slack.listeners import (
    actions,
    adoption,
    approvals,
    catch_all,
    commands,
    events,
    forms,
    home,
    pilot,
    reports,
    summary,
    views,
)


def register(app: App) -> None:
    channel_members = ChannelMembers()  # one per app, so the guard's membership lookups are shared

    @app.middleware
    def provide_channel_members(context, next):  # noqa: A002 (Bolt injects by this name)
        context[CHANNEL_MEMBERS] = channel_members
        next()

    commands.register(app)
    actions.register(app)
    forms.register(app)
    approvals.register(app)
    adoption.register(app)
    pilot.register(app)
    reports.register(app)
    summary.register(app)
    views.register(app)
    events.register(app)
    home.register(app)
    catch_all.register(app)  # last: acknowledges whatever nothing else handled
