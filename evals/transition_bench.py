"""Score the agent-emotion transition on a held-out split of PELD against two baselines.

Reproduce: ``attune bench transition --json`` (default data: <research_data_dir>/peld/Dyadic_PELD.tsv).

The models are fitted on the training split (80% of chains of consecutive triples, fixed seed) and scored on the
other 20%: ``repeat_previous`` (A's next emotion = A's previous one), ``personality_free`` (previous + ΔVAD(context)),
``peld_paper_gain`` (previous + ΔVAD(context) ⊙ P, P = Mehrabian weights, the paper's form) and
``peld_centred_gain`` (the personality gain the agent uses; γ fitted). Category = nearest emotion in VAD space.
"""
from __future__ import annotations

from pathlib import Path

from agent.affect.transition import fit_and_score, read_peld
from agent.config import Settings
from agent.vad import emotion_vad_table



def bench_transition(settings: Settings, data_path: str | Path | None = None, seed: int = 13) -> dict:
    path = Path(data_path) if data_path else settings.research_data_dir / "peld" / "Dyadic_PELD.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"PELD file not found: {path} (pass --data Dyadic_PELD.tsv)")
    report = fit_and_score(read_peld(path), emotion_vad_table(settings.data_dir), seed)
    return {"data": str(path), "split": f"80/20 by chains of consecutive triples, seed {seed}",
            "n_train": report["n_train"], "n_test": report["n_test"], **report["results"],
            "fitted_gamma": report["params"]["gamma"],
            "note": "categories are the nearest emotion to the predicted VAD point; vad_rmse is against the gold "
                    "emotion's VAD point"}
