"""The twelve-week adoption chart as a PNG; a week with no report is a gap in the lines, not a zero.

Drawn on a Figure of its own, not through pyplot, whose global state is not safe across the threads that render
charts at once (listeners, slow workers, the weekly run); and matplotlib is imported when a chart is first drawn,
so starting a process (the bot, its inbox worker, a command) does not wait for it."""

from __future__ import annotations

import io
import math

from bot.domain.adoption import Trend


def _series(trend: Trend, name: str) -> list[float]:
    return [math.nan if card is None or getattr(card, name) is None else float(getattr(card, name))
            for card in trend.cards]


def render(trend: Trend, title: str) -> bytes:
    from matplotlib.figure import Figure  # its Agg canvas draws the PNG: no screen, no pyplot

    labels = [w.strftime("%d %b") for w in trend.weeks]
    figure = Figure(figsize=(8, 5.5), dpi=100)
    users, value = figure.subplots(2, 1, sharex=True)
    users.plot(labels, _series(trend, "active_users"), marker="o", label="Active users")
    users.plot(labels, _series(trend, "repeat_users"), marker="o", label="Repeat users")
    users.set_ylabel("People")
    users.legend(loc="upper left", fontsize=8)
    value.plot(labels, _series(trend, "hours_saved"), marker="o", color="tab:green", label="Hours saved")
    value.plot(labels, _series(trend, "escalations"), marker="s", color="tab:red", label="Escalations")
    value.plot(labels, _series(trend, "incidents"), marker="x", color="tab:purple", label="Incidents")
    value.set_ylabel("Per week")
    value.legend(loc="upper left", fontsize=8)
    for axis in (users, value):
        axis.grid(alpha=0.3)
        axis.set_ylim(bottom=0)
    value.tick_params(axis="x", labelrotation=45, labelsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
