"""What App Home remembers while the app runs (one per app, in its Services): which channels each person is in, as
Slack said within the last minute, and the page each person last saw, so that a refresh shows them that page."""

from __future__ import annotations

from bot.slack.channel_members import UserChannels


class HomeMemory:
    def __init__(self) -> None:
        self.channels = UserChannels()
        self._pages: dict[tuple[str | None, str], int] = {}

    def page(self, team_id: str | None, user_id: str) -> int:
        """The page (from 0) of Home the person last saw; the first until they saw one."""
        return self._pages.get((team_id, user_id), 0)

    def saw(self, team_id: str | None, user_id: str, page: int) -> None:
        self._pages[(team_id, user_id)] = page

    def has_home(self, team_id: str | None, user_id: str) -> bool:
        """Whether this person has a Home to keep fresh (one was published for them since the app started)."""
        return (team_id, user_id) in self._pages
