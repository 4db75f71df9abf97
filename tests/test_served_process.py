"""The real `readiness-bot serve` process: settings from the environment, HTTP on --port, signed requests."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from bot.slack.listeners.commands import COMMAND
from tests.slack_requests import SIGNING_SECRET, SlackSender

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "readiness-bot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_checks_and_signed_commands(tmp_path, fake_slack, database_url, engine):
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake_slack.url, "DATABASE_URL": database_url, "PORT": str(port)}
    process = subprocess.Popen([str(CLI), "serve", "--host", "127.0.0.1"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz") as response:
                    assert json.loads(response.read()) == {"ok": True}
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not come up")
        sender = SlackSender(base)
        sender.response_url_base = fake_slack.root + "/hooks"
        assert sender.command("help").status == 200
        fake_slack.wait_for(lambda: fake_slack.responses())
        assert "/readiness new" in fake_slack.responses()[-1]["text"]
        assert fake_slack.calls_to("auth.test"), "the token is checked with Slack at start-up"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "xoxb-test" not in output and SIGNING_SECRET not in output, "secrets are never logged"


def test_manifest_declares_what_the_app_uses():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"commands", "chat:write", "channels:history",
                                                              "groups:history", "im:write", "usergroups:read",
                                                              "users:read", "files:write"}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"message.channels", "message.groups"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_procfile_serves_the_web_process_and_runs_the_scheduler():
    assert (ROOT / "Procfile").read_text().splitlines() == ["web: readiness-bot serve", "worker: readiness-bot scheduler"]


def test_unreachable_slack_or_a_refused_token_is_one_line_not_a_traceback(tmp_path, fake_slack):
    fake_slack.fail("auth.test", "invalid_auth", times=3)
    for api_url, words in (("http://127.0.0.1:9/api/", "cannot reach Slack"), (fake_slack.url, "invalid")):
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": api_url, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
        result = subprocess.run([str(CLI), "serve", "--port", str(_free_port())], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        [line] = [line for line in result.stderr.splitlines() if line.startswith("readiness-bot:")]
        assert words in line
