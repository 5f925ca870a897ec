"""ESC-Eval's seven judge dimensions (0–4 each), in report order, and their display names."""
from __future__ import annotations

DIMENSIONS: tuple[str, ...] = ("fluency", "expression", "empathy", "information", "skillful", "humanoid", "overall")
DIMENSION_TITLES = {"fluency": "Fluency", "expression": "Expression", "empathy": "Empathy",
                    "information": "Information", "skillful": "Skillful", "humanoid": "Humanoid", "overall": "Overall"}
