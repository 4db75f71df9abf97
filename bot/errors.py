"""Failures a person can act on, with the words to tell them."""


class UserFacingError(Exception):
    """An error whose message is shown to the person who caused it, as is."""


class NotFoundError(UserFacingError):
    """The thing named does not exist (any more)."""


class InitiativeGone(NotFoundError):
    """The initiative a button, form or command names no longer exists."""

    def __init__(self) -> None:
        super().__init__("That initiative no longer exists. `/readiness portfolio` lists the ones you can see.")


class MrkdwnError(UserFacingError):
    """A UserFacingError whose message is mrkdwn written by the bot (names already escaped), shown unchanged."""


class SlackDeliveryError(MrkdwnError):
    """Slack refused to deliver a message; the message says what the person can do."""


class AccessRefused(MrkdwnError):
    """The person may not act on the initiative named; the message says why and what to do next."""


class FieldErrors(Exception):
    """Input a form must show again: one message per field name (the empty name: the form as a whole)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors
