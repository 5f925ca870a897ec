"""Perceive: what the person feels, from their words (and, in later stages, voice and face)."""
