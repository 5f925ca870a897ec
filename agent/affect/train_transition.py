"""Fit the PELD emotion transition and write data/emotion_transition.json (parameters + held-out scores).

    python -m agent.affect.train_transition --peld ../shared/data/peld/Dyadic_PELD.tsv --seed 13

See agent/affect/transition.py for the model and the split. Deterministic (closed-form fits, fixed split seed).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Sequence

from ..vad import emotion_vad_table
from .transition import TRANSITION_FILE, fit_and_score, read_peld


def main(argv: Sequence[str] | None = None) -> dict:
    from ..config import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peld", type=Path, required=True, help="Dyadic_PELD.tsv")
    parser.add_argument("--out", type=Path, default=None, help=f"default: data/{TRANSITION_FILE}")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    settings = Settings()
    report = fit_and_score(read_peld(args.peld), emotion_vad_table(settings.data_dir), args.seed)
    out = args.out or settings.data_dir / TRANSITION_FILE
    payload = {
        "_about": "PELD personality-affected transition (agent/affect/transition.py): w_context maps "
                  "[one-hot E1 (7), one-hot E2 (7), one-hot S2 (3), 1] to ΔVAD; gain = clip(1 + gamma*(P - p_mean)/p_std,"
                  " 0.5, 1.5) with P the Mehrabian weights. Fitted on the training split only; held-out scores below.",
        "source": args.peld.name, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **report,
    }
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(json.dumps({k: payload[k] for k in ("results", "n_train", "n_test")}, indent=2))
    print(f"gamma {report['params']['gamma']}; wrote {out}")
    return payload


if __name__ == "__main__":
    main()
