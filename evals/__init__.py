"""Benchmarks and evaluations: latency, emotion, strategy, ESC-Eval role-play."""
