"""Affect: the ESC strategy the agent chooses and the agent's own emotion."""
