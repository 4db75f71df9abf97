"""The app's installations in workspaces (OAuth mode), and the states that guard the redirect back from Slack."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from storage.db import moment
from storage.models import Installation, OAuthState


def save(installation: Installation, *, session: Session) -> None:
    """Store a workspace's installation, replacing the one before it (stamped with the unit's instant)."""
    values = installation.model_dump(exclude={"id", "installed_at"})
    replaced = session.execute(update(Installation).where(Installation.team_id == installation.team_id)
                               .values(**values, installed_at=moment(session))).rowcount
    if not replaced:
        session.add(installation)


def find(team_id: str, *, session: Session) -> Installation | None:
    return session.exec(select(Installation).where(Installation.team_id == team_id)).first()


def remove(team_id: str, *, session: Session) -> None:
    session.execute(delete(Installation).where(Installation.team_id == team_id))


def issue_state(*, lifetime: timedelta, session: Session) -> str:
    """A new state, good for `lifetime` from the unit's instant; states of installs never finished are dropped."""
    now = moment(session)
    session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
    state = secrets.token_urlsafe(32)
    session.add(OAuthState(state=state, expires_at=now + lifetime))
    return state


def consume_state(state: str, *, session: Session) -> bool:
    """True once for a state issued and not expired at the unit's instant; a second use, or a made-up state, is
    False (one statement: two redirects with the same state at once cannot both take it)."""
    taken = session.execute(delete(OAuthState).where(OAuthState.state == state,
                                                     OAuthState.expires_at > moment(session)))
    return taken.rowcount == 1
