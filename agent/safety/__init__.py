"""Safety: crisis detection on every turn (detector.py), its explicit rules (rules.py) and trained head (train.py)."""
from .detector import ONGOING_DANGERS, SELF_RISK, CrisisDetector

__all__ = ["CrisisDetector", "ONGOING_DANGERS", "SELF_RISK"]
