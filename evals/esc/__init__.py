"""ESC-Eval-style role-play evaluation (Zhao et al. 2024): a role-player LLM plays the seeker on a card, the system
under test answers for N rounds, a judge LLM scores each dialogue on seven dimensions (0–4), scores are reported
0–100 (mean / 4 * 100) per system with confidence intervals, beside automatic metrics.

Every role is an OpenAI-compatible endpoint built with ``agent.planner.llm``: the embedded SmolLM2-135M (llama.cpp
in-process) on a laptop, which only shows that the pipeline runs (a run with it as role-player or judge is marked a
smoke test), or vLLM servers for a real study — the same code path, only the endpoints change.

Reproduce: ``attune eval esc --cards cards.json --n 10 --rounds 5 --system attune --system baseline --out DIR``
(docs/esc-eval.md). Outputs (DIR): ``dialogues/<system>/<card id>.json`` (one per dialogue, written atomically: a
rerun skips finished ones), ``failures.jsonl``, ``scores.json``, ``scores.csv`` (one row per dialogue),
``summary.csv`` (one row per system and dimension), ``report.md`` and PNG charts, ``run.json`` (settings and seeds of
each run).

Modules, each importing only those above it: dimensions (the seven dimensions) · cards · endpoints (each role's LLM,
call counts) · stats (0–100 scale, CIs, aggregation) · metrics (Distinct-n, humanoid proxy, preference bias) ·
judge (prompt, ``parse_judge``, Judge) · roleplay (RolePlayer) · systems (attune, baseline, openai:URL:MODEL) ·
records (dialogue files, summary, CSV) · report (report.md, charts) · runner (EscConfig, EscRunner).
"""
