"""The pilot's course after intake: the owners' change of risk tier or go/no-go date, and the go / no-go decision
(which, to extend the pilot, also moves the date). Each is one unit of work with what it causes: the team channel
told, every copy of a release request it made stale updated (without its buttons), the review carried on with the
questions the new tier asks, or its summary when nothing is left to ask. Slack hears of it once the form is
acknowledged (`finish`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slack_sdk import WebClient
from sqlmodel import Session

from bot.app import summary
from bot.app.request_copies import review_link, stored_link, update_copies
from bot.domain import approvals, changes, go_decisions
from bot.domain.changes import Change
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import ai_flow, conversation, home_flow
from bot.slack.blocks.decisions import build_change_announcement, build_decision_announcement
from storage import outbox
from storage.models import Initiative, RequestStatus


@dataclass(frozen=True)
class Changed:
    """A change stored with its messages, for `finish` once the form is acknowledged."""

    initiative_id: int
    queued: list[int]
    summary_of: int | None = None  # the review whose summary follows (the model writes its paragraph first)
    people: tuple[str, ...] = ()  # who acted, and who asked for a release it made stale: for App Home


def edit(client: WebClient, services: Services, *, initiative_id: int, tier: str, go_live_date: date | None,
         reason: str, user_id: str) -> Changed:
    """Change the risk tier and/or the go/no-go date (owners only); ChangeErrors, nothing stored, when the form does
    not do."""
    review_link(client, services, initiative_id)  # the copies of a request it makes stale keep the review's link
    with services.session(deliver=False) as session:
        change = changes.change(initiative_id, tier=tier, go_live_date=go_live_date, reason=reason, user_id=user_id,
                                session=session, framework=services.framework, now=services.clock.now())
        _tell_channel(session, change.initiative,
                      build_change_announcement(change, services.framework, services.policy))
        summary_of = _carry_on(session, services, change)
        return Changed(initiative_id, outbox.queued(session), summary_of, _requester(change))


def decide(client: WebClient, services: Services, *, initiative_id: int, form: go_decisions.DecisionInput,
           user_id: str) -> Changed:
    """Record a go / no-go decision; DecisionErrors, nothing stored, when the form does not do."""
    review_link(client, services, initiative_id)  # extending the pilot may make a request stale
    with services.session(deliver=False) as session:
        recorded = go_decisions.record(initiative_id, form, user_id=user_id, session=session,
                                       framework=services.framework, now=services.clock.now())
        newest = approvals.newest_request(recorded.initiative, session=session)
        approved = newest is not None and newest.status == RequestStatus.APPROVED
        _tell_channel(session, recorded.initiative, build_decision_announcement(
            recorded, services.framework, services.policy, release_approved=approved))
        moved = recorded.change
        summary_of = _carry_on(session, services, moved) if moved is not None else None
        return Changed(initiative_id, outbox.queued(session), summary_of,
                       (recorded.decision.recorded_by, *(_requester(moved) if moved else ())))


def finish(client: WebClient, services: Services, changed: Changed) -> None:
    """Once the form is acknowledged: deliver what the change wrote, post the summary it left due, republish Home."""
    services.deliver(changed.queued)
    if changed.summary_of is not None:
        summary.post(client, services, review_id=changed.summary_of, also=changed.people)
    else:
        home_flow.refresh(client, services, changed.initiative_id, *changed.people)


def _tell_channel(session: Session, initiative: Initiative, text: str) -> None:
    outbox.post(session, conversation=initiative.channel_id, text=text, workspace_id=initiative.workspace_id)


def _requester(change: Change) -> tuple[str, ...]:
    return (change.stale.requested_by,) if change.stale is not None else ()


def _carry_on(session: Session, services: Services, change: Change) -> int | None:
    """Update every copy of a request that went stale; redraw the owners' checklists for the questions the new tier
    asks, or write the summary when the change left nothing to ask. The review whose summary must follow the
    unit, if any."""
    if change.stale is not None:
        view = approvals.load_view(change.stale.id, session=session, framework=services.framework,
                                   policy=services.policy)
        update_copies(session, services, view, permalink=stored_link(session, services, view))
    if not change.added and not change.dropped:
        return None
    state = ReviewState.load(change.review_id, session=session, framework=services.framework)
    conversation.redraw(session, state)
    if change.completed:
        assist = ai_flow.enabled(services, state.initiative.workspace_id, session=session)
        return state.review.id if summary.write_unless_model(session, state, services, assist=assist) else None
    if state.review.thread_ts and change.back:
        tier = services.framework.tier_info(change.new_tier).label
        count = len(change.back)
        conversation.in_thread(session, state, f"🔁 The risk tier is now {tier}: {count} question"
                               f"{'s' if count != 1 else ''} it asks and nobody answered yet "
                               f"{'are' if count != 1 else 'is'} now in the owners' checklists.")
    return None
