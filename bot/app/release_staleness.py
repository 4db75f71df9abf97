"""An answer changed: a release request pinned to the old answer goes stale, in the unit of work of the answer.

`approvers` is called before that unit begins (it asks Slack who is in the approver groups); `write_if_stale` runs
inside it and asks Slack nothing."""

from __future__ import annotations

from sqlmodel import Session

from bot.app.request_copies import post_copy, stored_link, update_copies
from bot.domain import approvals
from bot.domain.approvals import Approvers, StaleResult
from bot.services import Services
from bot.slack.approver_groups import approvers
from bot.slack.blocks.approvals import build_request_message
from bot.text import from_plain
from storage import outbox

__all__ = ["approvers", "write_if_stale"]


def write_if_stale(session: Session, services: Services, initiative_id: int, *,
                   approvers: Approvers) -> StaleResult | None:
    """If the initiative's release request was pinned to an answer that changed: turn it stale, and write every copy
    updated, the team channel told, and a copy to each person asked again."""
    stale = approvals.check_stale(initiative_id, session=session, framework=services.framework,
                                  policy=services.policy, now=services.clock.now())
    if stale is None:
        return None
    view = stale.view
    link = stored_link(session, services, view)
    update_copies(session, services, view, permalink=link)
    questions = "; ".join(f"“{services.framework.question(q).text}”" for q in stale.changed)
    people = approvers.people_for(view, stale.asked_again)
    asked = ", ".join(f"<@{p}>" for p in people) or "the approvers"
    outbox.post(session, conversation=view.initiative.channel_id, workspace_id=view.initiative.workspace_id,
                text=f"⚠️ The release approval for *{from_plain(view.initiative.name)}* is stale: "
                     f"{questions} changed. Asking {asked} again.")
    text, blocks = build_request_message(view, services.framework, permalink=link)
    for person in people:
        post_copy(session, view, person, text, blocks)
    return stale
