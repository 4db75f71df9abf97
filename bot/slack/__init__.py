"""Everything that speaks Slack: the Bolt app, its thin listeners and the Block Kit builders."""
