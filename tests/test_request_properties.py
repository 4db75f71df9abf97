"""Requests of every kind with spoiled headers and bodies: never a 5xx, and nothing done unless Slack signed it."""

from __future__ import annotations

import copy
import hashlib
import hmac

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.request_kinds import footprint, kinds
from tests.slack_requests import SIGNING_SECRET, signed_headers

EXAMPLES = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
DROP = object()
HEADER_TEXT = st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=80)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
BROKEN = [b"", b"{not json", b"[]", b"null", b"{}", b"payload=notjson", b"payload=%5B%5D", b"payload=null",
          b"payload=%7B%7D", b"ssl_check=0", b"command="]


def _paths(value, prefix=()) -> list[tuple]:
    """Every place in a payload: keys of objects and indices of lists, to a depth of four."""
    if len(prefix) >= 4:
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    found = []
    for key, inner in items:
        found.append((*prefix, key))
        found.extend(_paths(inner, (*prefix, key)))
    return found


def _changed(content: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(content)
    *parents, last = path
    place = changed
    for step in parents:
        place = place[step]
    if value is DROP:
        del place[last]
    else:
        place[last] = value
    return changed


@st.composite
def bodies(draw, kind) -> tuple[bytes, str]:
    """The kind's body as Slack sends it, one of its fields dropped or changed, cut short, or garbage."""
    body, content_type = kind.encode()
    choice = draw(st.sampled_from(["intact", "field", "cut", "broken", "text", "bytes"]))
    if choice == "field":
        path = draw(st.sampled_from(_paths(kind.content)))
        values = st.text(max_size=20) if kind.wire == "form" else JSON_VALUES
        body, _ = kind.encode(_changed(kind.content, path, draw(st.just(DROP) | values)))
    elif choice == "cut":
        body = body[:draw(st.integers(0, max(len(body) - 1, 0)))]
    elif choice == "broken":
        body = draw(st.sampled_from(BROKEN))
    elif choice == "text":
        body = draw(st.text(max_size=200)).encode()
    elif choice == "bytes":
        body = draw(st.binary(max_size=200))
    return body, draw(st.sampled_from([content_type, "application/json", "text/plain", "application/x-www-form-urlencoded"]))


@st.composite
def unsigned_headers(draw, body: bytes, content_type: str, now: int) -> dict[str, str]:
    """Headers that fail verification: missing, not a number, stale, signed wrong or for something else."""
    good = signed_headers(body, content_type, now)
    timestamp, signature = "X-Slack-Request-Timestamp", "X-Slack-Signature"
    choice = draw(st.sampled_from(["none", "no signature", "no timestamp", "odd timestamp", "huge timestamp", "stale",
                                   "other secret", "random signature", "other timestamp", "wrong case"]))
    if choice == "none":
        return {"Content-Type": content_type}
    if choice == "no signature":
        return {k: v for k, v in good.items() if k != signature}
    if choice == "no timestamp":
        return {k: v for k, v in good.items() if k != timestamp}
    if choice == "odd timestamp":
        odd = draw(HEADER_TEXT.filter(lambda text: not (text.isascii() and text.isdigit())))
        return {**good, timestamp: odd}
    if choice == "huge timestamp":
        return {**good, timestamp: draw(st.text("0123456789", min_size=16, max_size=6000))}
    if choice == "stale":
        age = draw(st.integers(5 * 60 + 1, 10**9)) * draw(st.sampled_from([1, -1]))
        return signed_headers(body, content_type, now - age)
    if choice == "other secret":
        secret = draw(st.text(min_size=1, max_size=40).filter(lambda s: s != SIGNING_SECRET))
        return signed_headers(body, content_type, now, secret)
    if choice == "random signature":
        return {**good, signature: draw(HEADER_TEXT | st.binary(min_size=32, max_size=32).map(
            lambda b: "v0=" + hashlib.sha256(b).hexdigest()))}
    if choice == "other timestamp":
        return {**good, timestamp: str(now + draw(st.integers(1, 5 * 60)))}
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:%d:%s" % (now, body), hashlib.sha256).hexdigest()
    return {**good, signature: "V0=" + digest.upper()}  # Slack's signature, in the wrong case


@given(data=st.data())
@EXAMPLES
def test_unverified_requests_of_every_kind_get_401_and_leave_nothing_behind(bot, data):
    kind = data.draw(st.sampled_from(list(kinds(bot.fake.root + "/hooks/x").values())))
    body, content_type = data.draw(bodies(kind))
    headers = data.draw(unsigned_headers(body, content_type, bot.slack.now()))
    before = footprint(bot)
    response = bot.slack.send(body, headers)
    assert response.status == 401, (response.status, response.body)
    assert footprint(bot) == before, "an unverified request made a Slack call or wrote a row"


@given(data=st.data())
@EXAMPLES
def test_signed_requests_of_every_kind_never_get_a_5xx_and_refused_ones_leave_nothing(bot, data):
    kind = data.draw(st.sampled_from(list(kinds(bot.fake.root + "/hooks/x").values())))
    body, content_type = data.draw(bodies(kind))
    before = footprint(bot)
    response = bot.slack.send(body, signed_headers(body, content_type, bot.slack.now()))
    assert response.status < 500, (response.status, response.body)
    if response.status >= 400:
        assert footprint(bot) == before, "a refused request made a Slack call or wrote a row"
