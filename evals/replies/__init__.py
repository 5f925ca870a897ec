"""The reply benchmark: systems answer real ESConv histories and every reply is scored offline (runner.py)."""
