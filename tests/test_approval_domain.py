"""Approval policy validation and deciding in overlapping transactions, without Slack."""

import threading
import time
from datetime import timedelta

import pytest
import yaml
from sqlmodel import Session, select

from bot.approval_policy import DEFAULT_POLICY_PATH, ApprovalPolicy, load_policy
from bot.domain import answering, approvals
from bot.domain.initiatives import create_initiative
from bot.domain.progress import ReviewState
from bot.framework import FrameworkError
from storage.db import NOW, session_scope
from storage.models import (
    AnswerStatus,
    Initiative,
    InitiativeCreate,
    Outcome,
    ReleaseRequest,
    RequestStatus,
    Waiver,
)
from tests.conftest import START


@pytest.fixture
def policy():
    return load_policy()


def _broken_policy(tmp_path, change) -> str:
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    change(raw)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(FrameworkError) as caught:
        load_policy(path)
    return str(caught.value)


def test_policy_refuses_self_approval_at_medium_or_high(tmp_path):
    message = _broken_policy(tmp_path, lambda raw: raw["tiers"]["high"].update(requester_may_approve=True))
    assert "policy.yaml" in message and "never approve at medium or high" in message


def test_policy_refuses_an_unknown_approver_role(tmp_path):
    message = _broken_policy(tmp_path, lambda raw: raw["tiers"]["medium"].update(approvers=["cfo"]))
    assert "approver 'cfo' is not an owner role or a group" in message


def test_policy_refuses_a_member_that_is_not_a_user_id(tmp_path):
    message = _broken_policy(tmp_path, lambda raw: raw["groups"]["risk_and_compliance"].update(members=["bob"]))
    assert "groups.risk_and_compliance" in message and "not a Slack user id" in message


def test_policy_refuses_a_waiver_limit_that_is_not_a_number_or_all(tmp_path):
    message = _broken_policy(tmp_path, lambda raw: raw["tiers"]["high"].update(max_waivers="most"))
    assert "tiers.high.max_waivers" in message


def test_one_waiver_covers_several_blockers_up_to_the_policys_limit(engine, framework, policy):
    form = InitiativeCreate(team_id="T1", created_by="U1", name="Claims triage", purpose="Triage claims",
                            business_owner_id="U200", technical_owner_id="U300", risk_tier="medium", channel_id="C1")
    with session_scope(engine, now=START) as session:
        initiative, review = create_initiative(form, session=session, framework=framework, now=START)
        for q in ReviewState.load(review.id, session=session, framework=framework).questions:
            answering.answer(review.id, q.id, AnswerStatus.NOT_YET, user_id="U1", source="button", session=session,
                             framework=framework)
    blockers = tuple(q.id for q in framework.questions_for("medium") if q.blocks_at("medium"))
    waiver = approvals.WaiverInput("1", blockers, "Pilot only", "U300", START.date() + timedelta(days=30))
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    raw["tiers"]["medium"]["max_waivers"] = 3
    capped = ApprovalPolicy.model_validate(raw)
    ask = dict(framework=framework, requested_by="U1", waivers=[waiver], approvals_channel="C1", now=START)
    with session_scope(engine, now=START) as session, pytest.raises(approvals.RequestErrors) as refused:
        approvals.request_release(session.get(Initiative, initiative.id), session=session, policy=capped, **ask)
    assert refused.value.errors == {"": f"{len(blockers)} conditions block release at this risk tier, and the "
                                        "approval policy lets one request waive at most 3. Meet some of them first."}
    with session_scope(engine, now=START) as session:
        request = approvals.request_release(session.get(Initiative, initiative.id), session=session, policy=policy,
                                            **ask)
        waivers = session.exec(select(Waiver).where(Waiver.request_id == request.id)).all()
    assert sorted(w.question_id for w in waivers) == sorted(blockers)
    assert {(w.reason, w.owner_id) for w in waivers} == {("Pilot only", "U300")}


def _approvable_request(engine, framework, policy, tier="medium") -> int:
    form = InitiativeCreate(team_id="T1", created_by="U1", name="Claims triage", purpose="Triage claims",
                            business_owner_id="U200", technical_owner_id="U300", risk_tier=tier, channel_id="C1")
    with session_scope(engine, now=START) as session:
        initiative, review = create_initiative(form, session=session, framework=framework, now=START)
        for q in ReviewState.load(review.id, session=session, framework=framework).questions:
            answering.answer(review.id, q.id, AnswerStatus.NA if q.allow_na else AnswerStatus.MET, user_id="U1",
                             source="button", session=session, framework=framework)
        request = approvals.request_release(initiative, session=session, framework=framework, policy=policy,
                                            requested_by="U1", waivers=[], approvals_channel="C1", now=START)
        return request.id


def test_decisions_in_overlapping_transactions_both_count(engine, framework, policy):
    request_id = _approvable_request(engine, framework, policy)
    kwargs = dict(reason=None, framework=framework, policy=policy, is_member=lambda role, user: False)
    first = Session(engine, info={NOW: START})
    approvals.decide(request_id, Outcome.APPROVED, user_id="U200", session=first, now=START, **kwargs)

    def second():
        with session_scope(engine, now=START) as session:
            approvals.decide(request_id, Outcome.APPROVED, user_id="U300", session=session, now=START, **kwargs)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # the second decision is now waiting on the first one's transaction
    first.commit()
    first.close()
    thread.join()
    with Session(engine) as session:
        assert session.get(ReleaseRequest, request_id).status == RequestStatus.APPROVED


def test_policy_needs_a_second_person_for_waivers_where_the_requester_may_approve(tmp_path):
    message = _broken_policy(tmp_path, lambda raw: raw["tiers"]["low"].pop("waivers_need"))
    assert "tier low: the requester may approve, so waivers_need must name who else accepts the waivers" in message
    message = _broken_policy(tmp_path, lambda raw: raw["tiers"]["low"].update(waivers_need="business_owner"))
    assert "waivers_need must name someone other than the approvers" in message
    message = _broken_policy(tmp_path, lambda raw: raw["tiers"]["low"].update(waivers_need="cfo"))
    assert "waivers_need 'cfo' is not an owner role or a group" in message
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    raw["tiers"]["low"].pop("waivers_need")
    raw["tiers"]["low"]["max_waivers"] = 0
    assert ApprovalPolicy.model_validate(raw).for_tier("low").waivers_need is None, "nothing to waive, nobody needed"


def test_a_requester_who_is_both_owners_at_low_risk_cannot_waive_blockers(engine, framework, policy):
    form = InitiativeCreate(team_id="T1", created_by="U200", name="Claims triage", purpose="Triage claims",
                            business_owner_id="U200", technical_owner_id="U200", risk_tier="low", channel_id="C1")
    with session_scope(engine, now=START) as session:
        initiative, review = create_initiative(form, session=session, framework=framework, now=START)
        for q in ReviewState.load(review.id, session=session, framework=framework).questions:
            answering.answer(review.id, q.id, AnswerStatus.NOT_YET, user_id="U200", source="button",
                             session=session, framework=framework)
    blockers = tuple(q.id for q in framework.questions_for("low") if q.blocks_at("low"))
    waiver = approvals.WaiverInput("1", blockers, "Pilot only", "U200", START.date() + timedelta(days=30))
    ask = dict(framework=framework, policy=policy, waivers=[waiver], approvals_channel="C1", now=START)
    with session_scope(engine, now=START) as session, pytest.raises(approvals.RequestErrors) as refused:
        approvals.request_release(session.get(Initiative, initiative.id), session=session, requested_by="U200", **ask)
    assert refused.value.errors == {"": "Only you would approve this request, so its waivers need a second "
                                        "person's acceptance, and the approval policy names the technical owner, "
                                        "who is also you. Meet the blocking conditions first."}
    with session_scope(engine, now=START) as session:  # someone else asks: the owner approving is a second person
        request = approvals.request_release(session.get(Initiative, initiative.id), session=session,
                                            requested_by="U100", **ask)
        assert request.waivers_by is None
