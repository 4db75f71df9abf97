"""Several workspaces (OAuth mode, chosen at start-up by SLACK_CLIENT_ID): Bolt's installation and state stores on
the bot's database and clock, and the client the scheduler acts with in each workspace."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import timedelta

from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.oauth import InstallationStore, OAuthStateStore
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store import Installation as SlackInstallation
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.services import Services
from storage import installations
from storage.db import read_scope, session_scope
from storage.models import Installation, Workspace, as_utc

logger = logging.getLogger(__name__)
SCOPES = ("commands", "chat:write", "channels:history", "groups:history", "channels:read", "groups:read",
          "im:write", "im:history", "usergroups:read", "users:read", "files:write")  # the manifest's bot scopes, asked on install
STATE_LIFETIME = timedelta(minutes=10)  # from the install page to the redirect back (and the state cookie's age)
NOT_INSTALLED = ("Readiness Bot is not installed in this workspace (any more), so nothing was done. "
                 "Ask a Slack admin to install it again.")


class _Stored:
    """Kept in the bot's database: each call is a unit of work at the instant of the bot's clock."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine, self.clock = engine, clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    def _session(self) -> AbstractContextManager[Session]:
        return session_scope(self.engine, now=self.clock.now())

    def _reading(self) -> AbstractContextManager[Session]:
        return read_scope(self.engine, now=self.clock.now())


class Installations(_Stored, InstallationStore):
    """Each workspace's bot token, one row per workspace; the app asks for no user scopes, so that is all."""

    def save(self, installation: SlackInstallation) -> None:
        if not installation.team_id:  # the manifest does not offer org-wide installs; refuse one rather than guess
            raise BoltError("an org-wide install: install Readiness Bot in each workspace instead")
        row = Installation(team_id=installation.team_id, enterprise_id=installation.enterprise_id,
                           team_name=installation.team_name or "", app_id=installation.app_id,
                           bot_id=installation.bot_id, bot_user_id=installation.bot_user_id,
                           bot_token=installation.bot_token, bot_scopes=",".join(installation.bot_scopes or ()),
                           installed_by=installation.user_id)
        with self._session() as session:
            installations.save(row, session=session)

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        if not team_id:
            return None
        with self._reading() as session:
            row = installations.find(team_id, session=session)
        if row is None:
            return None
        return Bot(app_id=row.app_id, enterprise_id=row.enterprise_id, team_id=row.team_id, team_name=row.team_name,
                   bot_token=row.bot_token, bot_id=row.bot_id, bot_user_id=row.bot_user_id,
                   bot_scopes=row.bot_scopes, installed_at=as_utc(row.installed_at))

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The app was uninstalled, or its token revoked (Bolt's listeners for app_uninstalled, tokens_revoked)."""
        with self._session() as session:
            installations.remove(team_id or "", session=session)

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        if user_id is None:  # a user's own token is never asked for: only the workspace's bot token is kept
            self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)


class States(_Stored, OAuthStateStore):
    """The states of installs under way, issued and taken on the bot's clock."""

    def issue(self, *args, **kwargs) -> str:
        with self._session() as session:
            return installations.issue_state(lifetime=STATE_LIFETIME, session=session)

    def consume(self, state: str) -> bool:
        with self._session() as session:
            return installations.consume_state(state, session=session)


class Workspaces:
    """The client to act in each workspace with, looked up once: the app's own with its single bot token, or in
    OAuth mode one with the token the workspace's installation stored (None where the app is not installed)."""

    def __init__(self, client: WebClient, services: Services) -> None:
        self._client, self._services = client, services
        self._clients: dict[int, WebClient | None] = {}

    def client(self, workspace_id: int) -> WebClient | None:
        store = self._services.installations
        if store is None:
            return self._client
        if workspace_id not in self._clients:
            with self._services.reading() as session:
                team_id = session.get(Workspace, workspace_id).team_id
            bot = store.find_bot(enterprise_id=None, team_id=team_id)
            if bot is None:
                logger.warning("Not installed in workspace %s: nothing is sent there until it is installed again",
                               team_id)
            self._clients[workspace_id] = None if bot is None else self._with_token(bot.bot_token, team_id)
        return self._clients[workspace_id]

    def _with_token(self, token: str, team_id: str) -> WebClient:
        """The app's client (its Slack URL, timeout and retry handlers) with the workspace's token."""
        app = self._client
        return WebClient(token=token, base_url=app.base_url, timeout=app.timeout, ssl=app.ssl, proxy=app.proxy,
                         headers=app.headers, team_id=team_id, logger=app.logger, retry_handlers=app.retry_handlers)
