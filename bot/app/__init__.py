"""The application layer: one module per use case, each interaction one unit of work (one transaction stores the
change and the messages it causes; the relay delivers them after commit)."""
