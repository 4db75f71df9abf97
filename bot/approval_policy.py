"""Who must approve a release at each risk tier: policy as data from the prompts package, validated at start-up."""

from __future__ import annotations

import os
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.framework import Owner, Tier, load_validated

DEFAULT_POLICY_PATH = files("prompts") / "approval_policy.yaml"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierPolicy(_Strict):
    approvers: tuple[str, ...] = Field(min_length=1)
    requester_may_approve: bool
    open_for_hours: int = Field(gt=0, le=24 * 60)
    remind_hours_before: int = Field(ge=0)
    max_waivers: Literal["all"] | Annotated[int, Field(ge=0)] = "all"
    waivers_need: str | None = None  # who else must accept the waivers when the requester is the only approver

    def needs_second_person(self) -> bool:
        """Whether a requester could approve alone here, so that their waivers need someone else's acceptance."""
        return self.requester_may_approve and self.max_waivers != 0

    def may_waive(self, count: int) -> bool:
        """Whether one request may waive this many blocking conditions."""
        return self.max_waivers == "all" or count <= self.max_waivers


class Group(_Strict):
    label: str = Field(min_length=1, max_length=60)
    members: tuple[str, ...] = ()
    usergroup: str | None = None
    members_env: str | None = None
    usergroup_env: str | None = None

    @model_validator(mode="after")
    def _ids(self) -> Group:
        for member in self.members:
            if not _USER_ID.match(member):
                raise ValueError(f"member '{member}' is not a Slack user id (U… or W…)")
        if self.usergroup and not _USERGROUP_ID.match(self.usergroup):
            raise ValueError(f"usergroup '{self.usergroup}' is not a Slack user group id (S…)")
        return self

    def member_ids(self) -> set[str]:
        """Members named in the file and in the setting members_env names (comma-separated)."""
        from_env = os.environ.get(self.members_env or "", "")
        return set(self.members) | {m.strip() for m in from_env.split(",") if _USER_ID.match(m.strip())}

    def usergroup_id(self) -> str | None:
        return self.usergroup or (os.environ.get(self.usergroup_env or "") or None)


class Texts(_Strict):
    why: str = Field(min_length=1, max_length=500)
    reminder: str = Field(min_length=1, max_length=500)
    expired: str = Field(min_length=1, max_length=500)


class ApprovalPolicy(_Strict):
    version: str = Field(min_length=1, max_length=40)
    tiers: dict[Tier, TierPolicy]
    groups: dict[str, Group] = {}
    texts: Texts

    @model_validator(mode="after")
    def _consistent(self) -> ApprovalPolicy:
        if set(self.tiers) != set(Tier):
            raise ValueError("tiers must give a policy for each of low, medium and high")
        roles = {o.value for o in Owner} | set(self.groups)
        for tier, policy in self.tiers.items():
            for role in policy.approvers:
                if role not in roles:
                    raise ValueError(f"tier {tier.value}: approver '{role}' is not an owner role or a group")
            if len(set(policy.approvers)) != len(policy.approvers):
                raise ValueError(f"tier {tier.value}: an approver role is listed twice")
            if tier is not Tier.LOW and policy.requester_may_approve:
                raise ValueError(f"tier {tier.value}: the requester may never approve at medium or high")
            if policy.waivers_need is not None and policy.waivers_need not in roles:
                raise ValueError(f"tier {tier.value}: waivers_need '{policy.waivers_need}' is not an owner role "
                                 "or a group")
            if policy.waivers_need in policy.approvers:
                raise ValueError(f"tier {tier.value}: waivers_need must name someone other than the approvers")
            if policy.needs_second_person() and policy.waivers_need is None:
                raise ValueError(f"tier {tier.value}: the requester may approve, so waivers_need must name who else "
                                 "accepts the waivers (nobody alone requests, waives and approves)")
            if policy.remind_hours_before >= policy.open_for_hours:
                raise ValueError(f"tier {tier.value}: remind_hours_before must be less than open_for_hours")
        return self

    def for_tier(self, tier: Tier | str) -> TierPolicy:
        return self.tiers[Tier(tier)]

    def role_label(self, role: str) -> str:
        if role in self.groups:
            return self.groups[role].label
        return role.replace("_", " ").capitalize()


def load_policy(path: Traversable | str = DEFAULT_POLICY_PATH) -> ApprovalPolicy:
    return load_validated(path, ApprovalPolicy)
