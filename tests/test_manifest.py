"""manifest.yml, as shipped (Socket Mode) and changed for HTTP mode as the README says, against Slack's schema."""

import copy
import json
from pathlib import Path

import yaml
from jsonschema import Draft7Validator

from bot.slack.listeners.commands import COMMAND

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Draft7Validator(json.loads(
    (Path(__file__).parent / "fixtures" / "slack" / "manifest-schema" / "manifest.schema.1.0.0.json").read_text()))
EVENTS_URL = "https://readiness.example.com/slack/events"


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def _http_mode(manifest: dict) -> dict:
    """The manifest for `readiness-bot serve`: no Socket Mode, Slack's requests sent to the bot's URL."""
    http = copy.deepcopy(manifest)
    http["settings"]["socket_mode_enabled"] = False
    for command in http["features"]["slash_commands"]:
        command["url"] = EVENTS_URL
    http["settings"]["event_subscriptions"]["request_url"] = EVENTS_URL
    http["settings"]["interactivity"]["request_url"] = EVENTS_URL
    return http


def _problems(manifest: dict) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in SCHEMA.iter_errors(manifest)]


def test_manifest_declares_what_the_app_uses():
    manifest = _manifest()
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"commands", "chat:write", "channels:history",
                                                              "groups:history", "channels:read", "groups:read",
                                                              "im:write", "im:history", "usergroups:read",
                                                              "users:read", "files:write"}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_home_opened", "message.channels",
                                                                               "message.groups", "message.im"}
    assert manifest["features"]["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": True,
                                                "messages_tab_read_only_enabled": False}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_manifest_is_valid_in_socket_mode_and_in_http_mode():
    assert _problems(_manifest()) == []
    assert _problems(_http_mode(_manifest())) == []


def test_schema_rejects_request_url_on_a_slash_command():
    wrong = _http_mode(_manifest())
    [command] = wrong["features"]["slash_commands"]
    command["request_url"] = command.pop("url")
    [problem] = _problems(wrong)
    assert problem.startswith("$.features.slash_commands[0]") and "'request_url' was unexpected" in problem
