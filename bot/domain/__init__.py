"""The readiness review, free of Slack: callable from listeners, a CLI or a test."""
