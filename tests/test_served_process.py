"""The real `readiness-bot serve` process: settings from the environment, HTTP on --port, signed requests."""

import json
import subprocess
import urllib.request
from pathlib import Path

from tests.served import CLI, bot_env, free_port, serve
from tests.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent


def test_serve_answers_health_checks_and_signed_commands(tmp_path, fake_slack, database_url, engine):
    with serve(CLI, cwd=tmp_path, fake=fake_slack, database_url=database_url) as served:
        with urllib.request.urlopen(served.url + "/healthz") as response:
            assert json.loads(response.read()) == {"ok": True}
        assert served.slack.command("help").status == 200
        fake_slack.wait_for(lambda: fake_slack.responses())
        assert "/readiness new" in fake_slack.responses()[-1]["text"]
        assert fake_slack.calls_to("auth.test"), "the token is checked with Slack at start-up"
    assert "xoxb-test" not in served.output and SIGNING_SECRET not in served.output, "secrets are never logged"


def test_procfile_migrates_on_release_serves_the_web_process_and_runs_the_scheduler():
    assert (ROOT / "Procfile").read_text().splitlines() == [
        "release: readiness-bot migrate", "web: readiness-bot serve", "worker: readiness-bot scheduler"]


def test_unreachable_slack_or_a_refused_token_is_one_line_not_a_traceback(tmp_path, fake_slack):
    fake_slack.fail("auth.test", "invalid_auth", times=3)
    for api_url, words in (("http://127.0.0.1:9/api/", "cannot reach Slack"), (fake_slack.url, "invalid")):
        env = bot_env(SLACK_API_URL=api_url, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
        result = subprocess.run([str(CLI), "serve", "--port", str(free_port())], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        [line] = [line for line in result.stderr.splitlines() if line.startswith("readiness-bot:")]
        assert words in line
