"""Reading replies in a review thread: a clear leading yes/no/partly/n/a is an answer; evidence is checked by kind."""

from __future__ import annotations

import pytest

from bot.domain.replies import evidence_problem, parse_reply
from bot.framework import EvidenceKind
from storage.models import AnswerStatus


@pytest.mark.parametrize(
    ("reply", "status", "rest"),
    [
        ("yes", AnswerStatus.MET, ""),
        ("Yes! the runbook is on the wiki", AnswerStatus.MET, "the runbook is on the wiki"),
        ("yep, signed off last week", AnswerStatus.MET, "signed off last week"),
        ("YES", AnswerStatus.MET, ""),
        ("met - see the dashboard", AnswerStatus.MET, "see the dashboard"),
        ("  yes   ", AnswerStatus.MET, ""),
        ("no", AnswerStatus.NOT_YET, ""),
        ("No, we have not started", AnswerStatus.NOT_YET, "we have not started"),
        ("nope.", AnswerStatus.NOT_YET, ""),
        ("not yet", AnswerStatus.NOT_YET, ""),
        ("Not yet: next sprint", AnswerStatus.NOT_YET, "next sprint"),
        ("not  yet, waiting on legal", AnswerStatus.NOT_YET, "waiting on legal"),
        ("partly", AnswerStatus.PARTLY, ""),
        ("Partly; only for the EU team", AnswerStatus.PARTLY, "only for the EU team"),
        ("partially - the dashboard exists", AnswerStatus.PARTLY, "the dashboard exists"),
        ("n/a", AnswerStatus.NA, ""),
        ("N/A, we use no outside vendor", AnswerStatus.NA, "we use no outside vendor"),
        ("not applicable: everything runs in-house", AnswerStatus.NA, "everything runs in-house"),
        ("Not Applicable", AnswerStatus.NA, ""),
        ("yes\nsecond line of detail", AnswerStatus.MET, "second line of detail"),
    ],
)
def test_leading_answer_word_is_recognised_and_the_rest_kept(reply, status, rest):
    parsed = parse_reply(reply)
    assert parsed.status == status
    assert parsed.rest == rest


@pytest.mark.parametrize(
    "reply",
    [
        "yesterday we deployed the fix",
        "nobody owns it",
        "nah",
        "Notable gaps remain in the logging",
        "Nothing yet",
        "metrics are on the dashboard",
        "partner team handles it",
        "",
    ],
)
def test_words_that_merely_start_like_an_answer_are_not_answers(reply):
    parsed = parse_reply(reply)
    assert parsed.status is None
    assert parsed.rest == reply.strip()


def test_reply_without_answer_word_keeps_the_whole_text_stripped():
    assert parse_reply("  We think so, but ask Bob.  ").rest == "We think so, but ask Bob."


# ------------------------------------------------------------------ evidence


@pytest.mark.parametrize(
    "text",
    ["https://wiki.example.com/runbook", "see <https://wiki.example.com/runbook|the runbook>",
     "http://intranet/handoff", "Runbook: <HTTPS://EXAMPLE.COM>"],
)
def test_link_evidence_accepts_a_link(text):
    assert evidence_problem(EvidenceKind.LINK, text) is None


@pytest.mark.parametrize("text", ["the runbook on the wiki", "ask bob", "ftp is not it", ""])
def test_link_evidence_without_a_link_is_refused_with_a_reason(text):
    problem = evidence_problem(EvidenceKind.LINK, text)
    assert problem and "link" in problem.lower()


@pytest.mark.parametrize("text", ["about 40 minutes per task", "0", "error rate 2.5%", "€1,200 a month"])
def test_number_evidence_accepts_text_with_a_figure(text):
    assert evidence_problem(EvidenceKind.NUMBER, text) is None


@pytest.mark.parametrize("text", ["about forty minutes", "quite cheap", ""])
def test_number_evidence_without_a_digit_is_refused_with_a_reason(text):
    problem = evidence_problem(EvidenceKind.NUMBER, text)
    assert problem and "number" in problem.lower()


@pytest.mark.parametrize("text", ["<@U123ABC>", "it is <@U0G9QF9C6|bob> from finance", "<@W012A3CDE>"])
def test_person_evidence_accepts_a_mention(text):
    assert evidence_problem(EvidenceKind.PERSON, text) is None


@pytest.mark.parametrize("text", ["Bob from finance", "@bob", "<#C123|general>", "<!here>", ""])
def test_person_evidence_without_a_mention_is_refused_with_a_reason(text):
    problem = evidence_problem(EvidenceKind.PERSON, text)
    assert problem and "mention" in problem.lower()


@pytest.mark.parametrize("text", ["anything at all", "https://x.com", "42", "<@U123>", "", "😀"])
def test_text_evidence_accepts_anything(text):
    assert evidence_problem(EvidenceKind.TEXT, text) is None
