"""Several workspaces: the OAuth install flow end to end against the fake Slack, each workspace served and nudged
with its own token, states that cannot be replayed or outlive their ten minutes, and no token in any log."""

import base64
import html
import json
import logging
import re
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator
from sqlmodel import Session, select

from bot.app.sweep_approvals import run as run_sweep
from bot.cli import main
from bot.domain.initiatives import create_initiative
from bot.slack import nudge_sender
from bot.slack.installations import NOT_INSTALLED, SCOPES, STATE_LIFETIME
from storage.db import make_engine, migrate
from storage.models import (
    InitiativeCreate,
    Installation,
    OAuthState,
    ReleaseRequest,
    as_utc,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET, START, RunningBot
from tests.outage import database_down
from tests.review_driver import BUSINESS, complete_review, request_release
from tests.served import CLI, bot_env

ROOT = Path(__file__).resolve().parent.parent
ACME, GLOBEX = "xoxb-1111-2222-acmeacmeacmeacme", "xoxb-3333-4444-globexglobexglo"  # each workspace's bot token
SECRETS = (ACME, GLOBEX, CLIENT_SECRET, "xoxb-test-token")  # the last: the single token OAuth mode must ignore
COOKIE = "slack-app-oauth-state"
FIRST_CHECKIN = datetime(2026, 6, 8, 10, 5, tzinfo=UTC)  # the Monday after START, past the 10:00 check-in hour


@pytest.fixture
def oauth_bot(engine, database_url, fake_slack, clock):
    running = RunningBot(database_url, fake_slack, clock=clock, oauth=True).start()
    yield running
    running.stop()


@pytest.fixture
def logs(caplog):
    """Everything logged, at DEBUG, by the bot and the libraries under it (slack_sdk logs response bodies there)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def get(bot, path: str, *, state: str | None = None) -> tuple[int, Message, str]:
    """GET on the served bot, as the installer's browser does it (with the state cookie, when given)."""
    headers = {"Cookie": f"{COOKIE}={state}"} if state else {}
    request = urllib.request.Request(bot.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def open_install_page(bot) -> tuple[str, str]:
    """GET /slack/install: the state set in the browser's cookie, and the page's link to Slack."""
    status, headers, page = get(bot, "/slack/install")
    assert status == 200 and headers.get_content_type() == "text/html"
    state = re.fullmatch(rf"{COOKIE}=([^;]+); Secure; HttpOnly; Path=/; Max-Age=600", headers["Set-Cookie"])[1]
    return state, html.unescape(re.search(r'<a href="([^"]+)"', page)[1])


def install(bot, *, team_id: str, team_name: str, token: str) -> tuple[int, str]:
    """Someone installs the app in team_id: the install page, Slack's consent (faked), the redirect back."""
    state, _ = open_install_page(bot)
    bot.fake.allow_install(f"code-{team_id}", team_id=team_id, team_name=team_name, token=token,
                           scope=",".join(SCOPES))
    status, _, page = get(bot, f"/slack/oauth_redirect?code=code-{team_id}&state={state}", state=state)
    return status, page


def installations(bot) -> list[Installation]:
    with Session(bot.engine) as session:
        return session.exec(select(Installation).order_by(Installation.team_id)).all()


def tokens_used(bot, *, about: str | None = None) -> set[str]:
    """The Authorization header of every Web API call, or of those about a person (their user id or DM channel)."""
    mentions = (about, "D" + about[1:]) if about else ()
    return {call.headers.get("Authorization", "") for call in bot.fake.calls if call.method != "response_url"
            and (not mentions or any(m in json.dumps(call.params) for m in mentions))}


def assert_no_secret_in(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret was logged: …{secret[-6:]}"


def test_install_page_issues_a_state_and_links_to_slacks_authorize_page(oauth_bot):
    state, link = open_install_page(oauth_bot)
    url = urlsplit(link)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://slack.com/oauth/v2/authorize"
    query = parse_qs(url.query, keep_blank_values=True)
    assert query["client_id"] == [CLIENT_ID] and query["state"] == [state] and query["user_scope"] == [""]
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert query["scope"][0].split(",") == list(SCOPES)
    assert set(SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"]), "asks on install what the manifest names"
    with Session(oauth_bot.engine) as session:
        [issued] = session.exec(select(OAuthState)).all()
    assert issued.state == state and as_utc(issued.expires_at) == START + STATE_LIFETIME  # the bot's clock
    assert open_install_page(oauth_bot)[0] != state, "each visit gets its own state"


def test_an_install_is_stored_and_the_workspaces_requests_are_handled_with_its_token(oauth_bot, framework, logs):
    assert install(oauth_bot, team_id="T111", team_name="Acme", token=ACME)[0] == 200
    [exchange] = oauth_bot.fake.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "code-T111"
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert exchange.headers["Authorization"] == f"Basic {credentials}"
    [row] = installations(oauth_bot)
    assert (row.team_id, row.team_name, row.bot_token, row.installed_by) == ("T111", "Acme", ACME, "U100")
    assert as_utc(row.installed_at) == START and row.bot_scopes.split(",") == list(SCOPES)
    assert ACME not in repr(row) and ACME not in str(row) and CLIENT_SECRET not in repr(oauth_bot.settings)

    # A signed /readiness command from that workspace, then a whole review, all with the workspace's own token
    oauth_bot.fake.calls.clear()
    complete_review(oauth_bot, framework, tier="low")
    assert oauth_bot.fake.calls_to("views.open")[0].headers["Authorization"] == f"Bearer {ACME}"
    assert tokens_used(oauth_bot) == {f"Bearer {ACME}"}

    # Installed again (a new scope, a reinstall): the newest token replaces the last
    assert install(oauth_bot, team_id="T111", team_name="Acme Inc", token=GLOBEX)[0] == 200
    assert [(r.team_name, r.bot_token) for r in installations(oauth_bot)] == [("Acme Inc", GLOBEX)]
    assert_no_secret_in(logs.text)


def test_a_second_workspace_is_nudged_with_its_own_token_by_the_scheduler(oauth_bot, framework, logs, tmp_path):
    oauth_bot.fake.timezones.update(U200="UTC", U201="UTC")
    install(oauth_bot, team_id="T111", team_name="Acme", token=ACME)
    complete_review(oauth_bot, framework, tier="low")  # in T111, business owner U200
    request_id = request_release(oauth_bot, framework, tier="low")
    assert install(oauth_bot, team_id="T222", team_name="Globex", token=GLOBEX)[0] == 200
    form = InitiativeCreate(team_id="T222", created_by="U201", name="Demand forecast", purpose="Forecasts stock",
                            business_owner_id="U201", technical_owner_id="U301", risk_tier="low", channel_id="C222")
    with oauth_bot.services.session() as session:
        create_initiative(form, session=session, framework=framework, now=START)
    oauth_bot.fake.calls.clear()

    # The scheduler's nudge run, as its own process in OAuth mode: no SLACK_BOT_TOKEN, and logging at DEBUG
    env = bot_env(DATABASE_URL=oauth_bot.database_url, SLACK_API_URL=oauth_bot.fake.url, SLACK_BOT_TOKEN="",
                  SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET, LOG_LEVEL="DEBUG")
    run = subprocess.run([str(CLI), "nudge", "--at", FIRST_CHECKIN.isoformat()], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert {"checkin to U200 for Invoice assistant", "checkin to U201 for Demand forecast"} <= set(
        run.stdout.splitlines())
    assert tokens_used(oauth_bot, about="U201") == {f"Bearer {GLOBEX}"}  # users.info, conversations.open, the DM
    assert tokens_used(oauth_bot, about="U200") == {f"Bearer {ACME}"}
    assert_no_secret_in(run.stdout + run.stderr)

    # The approval reminders of the same scheduler, for the request in T111
    oauth_bot.fake.calls.clear()
    with Session(oauth_bot.engine) as session:
        expires = as_utc(session.get(ReleaseRequest, request_id).expires_at)
    oauth_bot.clock.set(expires - timedelta(hours=2))
    assert run_sweep(oauth_bot.app.client, oauth_bot.services) == [
        f"reminded: release request {request_id} (Invoice assistant)"]
    assert tokens_used(oauth_bot, about=BUSINESS) == {f"Bearer {ACME}"}
    assert_no_secret_in(logs.text)


@pytest.mark.parametrize("case", ["made up", "no cookie", "expired", "used twice"])
def test_a_state_made_up_expired_or_used_before_is_refused(oauth_bot, case):
    state, _ = open_install_page(oauth_bot)
    if case == "used twice":
        oauth_bot.fake.allow_install("code-first", team_id="T111", team_name="Acme", token=ACME, scope="commands")
        assert get(oauth_bot, f"/slack/oauth_redirect?code=code-first&state={state}", state=state)[0] == 200
        oauth_bot.fake.calls.clear()
    if case == "expired":
        oauth_bot.clock.advance(STATE_LIFETIME + timedelta(seconds=1))
    sent = {"made up": "0e3a1c2b-made-up", "no cookie": None}.get(case, state)
    oauth_bot.fake.allow_install("code-1", team_id="T222", team_name="Globex", token=GLOBEX, scope="commands")
    status, _, page = get(oauth_bot, f"/slack/oauth_redirect?code=code-1&state={sent or state}", state=sent)
    assert status == (400 if case == "no cookie" else 401) and "Something Went Wrong" in page
    assert oauth_bot.fake.calls_to("oauth.v2.access") == [], "the code was never traded for a token"
    assert [row.team_id for row in installations(oauth_bot)] == (["T111"] if case == "used twice" else [])


def test_a_refused_code_installs_nothing(oauth_bot):
    state, _ = open_install_page(oauth_bot)
    status, _, page = get(oauth_bot, f"/slack/oauth_redirect?code=never-issued&state={state}", state=state)
    assert status == 401 and "Something Went Wrong" in page
    assert [c.params["code"] for c in oauth_bot.fake.calls_to("oauth.v2.access")] == ["never-issued"]
    assert installations(oauth_bot) == []


def test_while_the_database_is_down_nothing_is_installed(empty_database_url, fake_slack, clock):
    engine = make_engine(empty_database_url)
    migrate(engine)
    engine.dispose()
    bot = RunningBot(empty_database_url, fake_slack, clock=clock, oauth=True).start()
    try:
        state, _ = open_install_page(bot)
        fake_slack.allow_install("code-1", team_id="T111", team_name="Acme", token=ACME, scope="commands")
        redirect = f"/slack/oauth_redirect?code=code-1&state={state}"
        with database_down(bot.database_url, bot.engine):
            page, back = get(bot, "/slack/install"), get(bot, redirect, state=state)
        assert page[0] == back[0] == 503 and "nothing was installed" in back[2]
        assert fake_slack.calls_to("oauth.v2.access") == []
        assert get(bot, redirect, state=state)[0] == 200, "the state is still good once the database is back"
        assert [row.team_id for row in installations(bot)] == ["T111"]
    finally:
        bot.stop()


def test_after_uninstall_the_workspace_is_told_to_reinstall_and_is_not_nudged(oauth_bot, framework, logs):
    oauth_bot.fake.timezones["U200"] = "UTC"
    install(oauth_bot, team_id="T111", team_name="Acme", token=ACME)
    complete_review(oauth_bot, framework, tier="low")
    response = oauth_bot.slack.event({"type": "app_uninstalled", "event_ts": "1700000900.000100"})
    assert response.status == 200
    oauth_bot.idle()
    assert installations(oauth_bot) == []
    oauth_bot.fake.calls.clear()

    assert oauth_bot.slack.command("status Invoice assistant").status == 200
    oauth_bot.idle()
    assert [r["text"] for r in oauth_bot.fake.responses()] == [NOT_INSTALLED]
    oauth_bot.clock.set(FIRST_CHECKIN)
    assert nudge_sender.run(oauth_bot.app.client, oauth_bot.services) == []
    assert [c.method for c in oauth_bot.fake.calls if c.method != "response_url"] == []
    assert "Not installed in workspace T111" in logs.text

    install(oauth_bot, team_id="T111", team_name="Acme", token=GLOBEX)  # installed again: the check-in goes out
    assert "checkin to U200 for Invoice assistant" in nudge_sender.run(oauth_bot.app.client, oauth_bot.services)


@pytest.mark.parametrize(("env", "command", "named"), [
    ({"SLACK_CLIENT_ID": CLIENT_ID}, "serve", "SLACK_CLIENT_SECRET is not set"),
    ({"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}, "serve", "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_CLIENT_SECRET": CLIENT_SECRET}, "nudge", "SLACK_CLIENT_ID is not set but SLACK_CLIENT_SECRET is"),
    ({"SLACK_CLIENT_ID": "", "SLACK_CLIENT_SECRET": ""}, "serve", "SLACK_CLIENT_ID is not set but SLACK_CLIENT_SECRET"),
    ({"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_APP_TOKEN": "xapp-1"}, "run",
     "needs HTTP mode"),
    ({}, "nudge", "SLACK_BOT_TOKEN is not set"),
])
def test_the_mode_is_chosen_at_start_up_and_a_missing_setting_is_named(monkeypatch, tmp_path, capsys, env, command,
                                                                       named):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}.items():
        monkeypatch.setenv(name, value)
    assert main([command]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert named in line and line.startswith("readiness-bot: ")
    assert CLIENT_SECRET not in line


def test_the_manifest_changed_for_oauth_as_the_readme_says_is_valid():
    schema = Draft7Validator(json.loads(
        (Path(__file__).parent / "fixtures" / "slack" / "manifest-schema" / "manifest.schema.1.0.0.json").read_text()))
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    readme = (ROOT / "README.md").read_text()
    manifest["settings"]["socket_mode_enabled"] = False
    manifest["oauth_config"]["redirect_urls"] = ["https://readiness.example.com/slack/oauth_redirect"]
    manifest["settings"]["event_subscriptions"]["bot_events"] += ["app_uninstalled", "tokens_revoked"]
    assert "redirect_urls" in readme and "app_uninstalled" in readme and "tokens_revoked" in readme
    assert [f"{e.json_path}: {e.message}" for e in schema.iter_errors(manifest)] == []
