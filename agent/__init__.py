"""Attune: an empathetic conversational agent with a talking avatar."""
from .config import Settings
from .pipeline import Agent, TurnStream
from .text import InputError
from .types import Plan, Sentence, TurnResult, UserState

__all__ = ["Agent", "InputError", "Plan", "Sentence", "Settings", "TurnResult", "TurnStream", "UserState"]
