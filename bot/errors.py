"""Failures a person can act on, with the words to tell them."""


class UserFacingError(Exception):
    """An error whose message is shown to the person who caused it, as is."""


class NotFoundError(UserFacingError):
    """The thing named does not exist (any more)."""


class SlackDeliveryError(UserFacingError):
    """Slack refused to deliver a message; the message says what the person can do."""
