"""Block Kit builders: pure functions from domain objects to blocks, one module per surface."""
