"""Who may act on an initiative: a member of its channel, or, from its own workspace, an owner or an approver.

A button's value or a command's name only says what to act on; this rule says whether the person may.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session

from bot.approval_policy import ApprovalPolicy
from bot.domain import audit
from bot.domain.approvals import OWNER_ROLES, IsMember
from bot.framework import Tier
from bot.text import from_plain
from storage.models import Initiative, Workspace

InChannel = Callable[[str, str], bool | None]  # (channel id, user id) -> a member or not; None: Slack would not say


class Attempt(StrEnum):
    """What a person tried, worded for "You can't <attempt> <initiative>"."""

    ANSWER = "change the answers of"
    REPLY = "answer questions of"
    REVISIT = "revisit the questions of"
    STATUS = "see the status of"
    SUMMARY = "post the summary of"
    CONTINUE = "continue the review of"
    RELEASE = "ask to release"
    REPORT = "report the weekly numbers of"
    SNOOZE = "snooze the nudges for"
    RETIRE = "retire"
    EDIT = "change the risk tier or go/no-go date of"
    DECIDE = "record the go/no-go decision on"
    BASELINE = "set the adoption baseline of"
    SCORE = "score"
    EXPORT = "export the audit report of"


@dataclass(frozen=True)
class Actor:
    user_id: str
    team_id: str | None  # the Slack workspace the request comes from


@dataclass(frozen=True)
class Refusal:
    why: str  # other_workspace, not_in_channel or membership_unknown
    text: str  # one line for the person: why, and what to do next


def refusal(
    initiative: Initiative, *, workspace_team: str, actor: Actor, attempt: Attempt, policy: ApprovalPolicy,
    in_channel: InChannel, in_group: IsMember,
) -> Refusal | None:
    """Why this person may not act on the initiative (of the workspace `workspace_team`), or None if they may.

    Owners are known without asking Slack, so they are checked first; then channel membership, which also
    admits people of other workspaces in a shared channel; then the approver groups of the initiative's tier.
    """
    same_workspace = actor.team_id == workspace_team
    if same_workspace and actor.user_id in (initiative.business_owner_id, initiative.technical_owner_id):
        return None
    member = in_channel(initiative.channel_id, actor.user_id)
    if member or (same_workspace and _approver(initiative, actor.user_id, policy, in_group)):
        return None
    name, channel = from_plain(initiative.name), f"<#{initiative.channel_id}>"
    if member is None:
        return Refusal("membership_unknown", f"You can't {attempt} {name} right now: I can't see who is in "
                       f"{channel}, perhaps because I was removed from it. Ask someone there to invite me back "
                       "with `/invite @Readiness Bot`.")
    if not same_workspace:
        return Refusal("other_workspace", f"You can't {attempt} {name}: it belongs to another Slack workspace and "
                       f"you're not in its channel {channel}. Ask someone in that channel to invite you.")
    return Refusal("not_in_channel", f"You can't {attempt} {name}: it belongs to {channel} and you're not a "
                   "member. Ask someone in that channel to invite you.")


def _approver(initiative: Initiative, user_id: str, policy: ApprovalPolicy, in_group: IsMember) -> bool:
    """Whether the person is in an approver group the initiative's tier names (owners are checked before)."""
    return any(in_group(role, user_id) for role in approver_groups(policy, initiative.risk_tier))


def approver_groups(policy: ApprovalPolicy, tier: Tier | str) -> list[str]:
    """The groups (not the owners) whose members approve at a tier, with the one that accepts waivers."""
    rules = policy.for_tier(tier)
    roles = (*rules.approvers, *([rules.waivers_need] if rules.waivers_need else []))
    return [role for role in roles if role not in OWNER_ROLES]


def seen_by(actor: Actor, *, channels: Collection[str], policy: ApprovalPolicy,
            in_group: IsMember) -> ColumnElement[bool]:
    """The rule above as a query condition on Initiative joined with its Workspace: the initiatives a person sees
    (App Home, the portfolio): those of the channels they are in (`channels`), and, from their own workspace, those
    they own or approve."""
    tiers = [tier.value for tier in Tier
             if any(in_group(role, actor.user_id) for role in approver_groups(policy, tier))]
    owns_or_approves = or_(Initiative.business_owner_id == actor.user_id,
                           Initiative.technical_owner_id == actor.user_id, Initiative.risk_tier.in_(tiers))
    return or_(Initiative.channel_id.in_(list(channels)), and_(Workspace.team_id == actor.team_id, owns_or_approves))


def record_refusal(refused: Refusal, initiative: Initiative, *, actor: Actor, attempt: Attempt,
                   session: Session) -> None:
    audit.record(session=session, kind="refused_access", actor=actor.user_id, workspace_id=initiative.workspace_id,
                 initiative_id=initiative.id, attempted=attempt.name.lower(), why=refused.why, team_id=actor.team_id)
