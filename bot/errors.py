"""Failures a person can act on, with the words to tell them."""


class UserFacingError(Exception):
    """An error whose message is shown to the person who caused it, as is."""


class NotFoundError(UserFacingError):
    """The thing named does not exist (any more)."""


class SlackDeliveryError(UserFacingError):
    """Slack refused to deliver a message; the message says what the person can do."""


class FieldErrors(Exception):
    """Input a form must show again: one message per field name (the empty name: the form as a whole)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors
