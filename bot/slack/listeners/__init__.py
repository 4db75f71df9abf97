"""Thin listeners grouped by kind; each module has register(app)."""

from slack_bolt import App

from bot.slack.listeners import actions, adoption, approvals, catch_all, commands, events, views


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    approvals.register(app)
    adoption.register(app)
    views.register(app)
    events.register(app)
    catch_all.register(app)  # last: acknowledges whatever nothing else handled
