"""Echoing what people wrote: nothing the bot posts may ping anyone, break formatting or be cut mid-markup."""

from __future__ import annotations

import re

import pytest

from bot.text import from_plain, from_slack, shorten

BROADCASTS_AND_MENTIONS = ("<!channel>", "<!here>", "<@U123>", "<!subteam^S1|@team>")


# ------------------------------------------------------------------ from_plain: text typed into a modal


@pytest.mark.parametrize("typed", BROADCASTS_AND_MENTIONS)
def test_plain_text_mentions_stay_literal(typed):
    out = from_plain(f"Ops {typed} team")
    assert "<" not in out and ">" not in out
    assert out == "Ops " + typed.replace("<", "&lt;").replace(">", "&gt;") + " team"


def test_plain_text_ampersands_are_escaped_before_angle_brackets():
    assert from_plain("R&D <b> & co") == "R&amp;D &lt;b&gt; &amp; co"
    assert from_plain("&lt;") == "&amp;lt;", "an entity typed by a person is shown as typed, not decoded"


def test_plain_text_without_special_characters_is_unchanged():
    assert from_plain("Invoice assistant: 42% faster, *really*") == "Invoice assistant: 42% faster, *really*"


# ------------------------------------------------------------------ from_slack: text from a message event


@pytest.mark.parametrize(
    "markup",
    ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U123|bob>", "<!subteam^S123|@team>",
     "<!here|here>", "<@W0ENTERPRISE>"],
)
def test_slack_mentions_and_broadcasts_are_defused(markup):
    out = from_slack(f"cc {markup} please")
    assert "<!" not in out
    assert "<@" not in out
    assert out.startswith("cc ") and out.endswith(" please")


@pytest.mark.parametrize(("markup", "shown"), [("<@U123|bob>", "bob"), ("<!subteam^S123|@team>", "team"),
                                                ("<!channel>", "channel")])
def test_defused_mentions_stay_readable(markup, shown):
    assert shown in from_slack(markup)


@pytest.mark.parametrize("markup", ["<https://x.com|label>", "<https://wiki.example.com/a?b=1&amp;c=2>",
                                    "<#C123|general>", "<mailto:ops@example.com|ops@example.com>"])
def test_slack_links_and_channel_references_are_kept(markup):
    assert from_slack(f"see {markup} for more") == f"see {markup} for more"


@pytest.mark.parametrize("escaped", ["&amp;lt;", "&lt;!channel&gt;", "a &amp; b", "1 &lt; 2 &gt; 0"])
def test_slack_escaped_text_is_left_as_it_arrived(escaped):
    assert from_slack(escaped) == escaped


def test_a_whole_message_is_defused_but_keeps_its_links():
    text = ("<!channel> the runbook is <https://x.com/runbook|here>, ask <@U123|bob> in <#C123|general> "
            "&amp;lt;3 &lt;not a tag&gt;")
    out = from_slack(text)
    assert "<!" not in out and "<@" not in out
    assert "<https://x.com/runbook|here>" in out
    assert "<#C123|general>" in out
    assert out.endswith("&amp;lt;3 &lt;not a tag&gt;")


# ------------------------------------------------------------------ shorten


def test_short_text_is_kept_as_is():
    assert shorten("Looks fine.", 100) == "Looks fine."
    assert shorten("x" * 100, 100) == "x" * 100


def test_long_text_is_cut_to_the_limit_with_an_ellipsis():
    out = shorten("x" * 10_000, 3000)
    assert len(out) == 3000
    assert out.endswith("…")


def test_long_prose_is_cut_within_the_limit_keeping_most_of_it():
    out = shorten("The pilot went well. " * 500, 280)
    assert out.endswith("…")
    assert 260 <= len(out) <= 280


def _unbalanced_markup(body: str) -> bool:
    depth = 0
    for ch in body:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if depth not in (0, 1):
            return True
    return depth != 0


SLACK_TEXT = (
    "See <https://wiki.example.com/pages/runbook?x=1&amp;y=2|the runbook> and ask <@U123ABC|bob>; "
    "&lt;3 &amp;&amp; <#C123|general> &gt; <!subteam^S123|@ops-team> done &amp;lt; ok. "
) * 4
SLACK_TEXT = SLACK_TEXT.strip()


def test_cutting_never_leaves_half_a_markup_or_half_an_entity():
    for limit in range(2, len(SLACK_TEXT)):
        out = shorten(SLACK_TEXT, limit)
        assert len(out) <= limit
        assert out.endswith("…")
        body = out[:-1]
        assert SLACK_TEXT.startswith(body), "the kept part is a prefix of the text"
        assert not _unbalanced_markup(body), f"half a <...> at limit {limit}: {out[-40:]!r}"
        assert not re.search(r"&[#a-zA-Z0-9]*$", body), f"half an &entity; at limit {limit}: {out[-40:]!r}"


def test_cut_just_inside_a_link_drops_the_whole_link():
    text = "Evidence: <https://example.com/a/very/long/path|the dashboard> and more text after it"
    out = shorten(text, 30)
    assert out == "Evidence:…"


@pytest.mark.parametrize("opening", ["Q&A notes: ", "Latency < 2s: "])
def test_a_bare_ampersand_or_angle_bracket_does_not_throw_away_the_rest(opening):
    out = shorten(opening + "the pilot went well " * 500, 3000)
    assert len(out) >= 2900
