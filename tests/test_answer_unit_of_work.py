"""An answer is one unit of work: one write transaction stores the answer, the messages it causes (the checklist
updated in place) and the request marked processed; Slack hears of it only once that transaction has committed."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from sqlalchemy import event

from bot.slack.ids import Action
from tests.review_driver import ReviewDriver, complete_review, request_release

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


class WriteTransactions:
    """What each committed transaction wrote ((verb, table) pairs), with the calls the fake Slack had seen when it
    committed; and its write statements."""

    def __init__(self, engine, fake) -> None:
        self.engine, self.fake = engine, fake
        self.open: dict[int, set[tuple[str, str]]] = defaultdict(set)
        self.texts: dict[int, list[str]] = defaultdict(list)
        self.committed: list[tuple[set[tuple[str, str]], list[str]]] = []
        self.statements: list[list[str]] = []

    def __enter__(self) -> WriteTransactions:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *_) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _statement(self, connection, _cursor, statement, *_args) -> None:
        if found := WRITE.match(statement):
            self.open[id(connection)].add((found[1].split()[0].upper(), found[2].lower()))
            self.texts[id(connection)].append(statement)

    def _commit(self, connection) -> None:
        wrote, texts = self.open.pop(id(connection), set()), self.texts.pop(id(connection), [])
        if wrote:
            self.committed.append((wrote, [call.method for call in self.fake.calls]))
            self.statements.append(texts)

    def _rollback(self, connection) -> None:
        self.open.pop(id(connection), None)
        self.texts.pop(id(connection), None)

    def writing(self, table: str) -> list[tuple[set[tuple[str, str]], list[str]]]:
        return [(wrote, seen) for wrote, seen in self.committed if any(t == table for _, t in wrote)]


@pytest.mark.parametrize("how", ["click", "reply"])
def test_an_answer_is_one_write_transaction_and_slack_hears_of_it_after_the_commit(bot, how):
    driver = ReviewDriver(bot)
    thread = driver.start()
    first = driver.current(thread)
    with WriteTransactions(bot.engine, bot.fake) as transactions:
        if how == "click":
            driver.click(first, Action.ANSWER_NOT_YET)
        else:
            driver.reply(thread, "no, nobody owns it yet")
    assert driver.questions(thread)[first.number - 1].answered, "the checklist shows the answer"

    [(wrote, seen)] = transactions.writing("answer")
    assert {("INSERT", "answer"), ("INSERT", "outbox"), ("UPDATE", "inbox")} <= wrote
    shown = [i for i, call in enumerate(bot.fake.calls) if call.method == "chat.update"][-1]
    assert shown >= len(seen), "the checklist was updated after the answer's transaction committed"
    others = {table for tables, _ in transactions.committed if tables is not wrote for _, table in tables}
    assert others <= {"inbox", "outbox"}, "besides the answer's, only the stored request and the relay's bookkeeping"


def test_an_answer_that_makes_a_release_request_stale_says_so_in_its_own_transaction(bot, framework):
    driver, thread = complete_review(bot, framework, tier="low")
    request_release(bot, framework, tier="low")
    with WriteTransactions(bot.engine, bot.fake) as transactions:
        driver.click(driver.questions(thread)[0], Action.ANSWER_NOT_YET)

    [(wrote, seen)] = transactions.writing("answer")
    assert {("INSERT", "answer"), ("UPDATE", "releaserequest"), ("INSERT", "auditevent"), ("INSERT", "outbox"),
            ("UPDATE", "inbox")} <= wrote
    assert transactions.writing("releaserequest") == [(wrote, seen)], "the request turned stale with the answer"
    told = [i for i, call in enumerate(bot.fake.calls)
            if call.method == "chat.postMessage" and "is stale" in call.params.get("text", "")]
    assert told and told[0] >= len(seen), "the team channel was told once the answer's transaction committed"


def test_the_answer_that_completes_the_review_stores_its_summary_with_it(bot, framework):
    with WriteTransactions(bot.engine, bot.fake) as transactions:
        complete_review(bot, framework, tier="low")
    [posted] = [i for i, texts in enumerate(transactions.statements)
                if any(t.lstrip().upper().startswith("UPDATE") and "summary_posted_at" in t for t in texts)]
    wrote, seen = transactions.committed[posted]
    assert ("INSERT", "answer") in wrote or ("INSERT", "evidence") in wrote, "the last answer, or its evidence"
    summary = [i for i, call in enumerate(bot.fake.calls) if call.method == "chat.postMessage"
               and call.params.get("text", "").startswith("Readiness summary")]
    assert summary and summary[0] >= len(seen), "the summary was posted once that transaction committed"
