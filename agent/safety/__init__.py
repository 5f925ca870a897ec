"""Safety: crisis detection on every turn (detector.py), its explicit rules (rules.py) and trained head (train.py)."""
from .detector import CrisisDetector

__all__ = ["CrisisDetector"]
