"""Plan: safety, chain-of-empathy, ESC stage and strategy, grounded or LLM-written reply."""
