"""Works on anyone's machine: no absolute path of a development machine in the repository, research data found
through one setting, one emotion vocabulary for every command."""
import re
import subprocess
from pathlib import Path

import pytest

from agent.avatar.data import AvatarError, check_emotion
from agent.config import Settings
from agent.emotions import canonical_emotion
from agent.speech.prosody import resolve_emotion

ROOT = Path(__file__).resolve().parent.parent
MACHINE_PATH = re.compile(r"(?<![\w.])/(work|root|home/\w+|Users/\w+)/")


def test_no_machine_paths_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".json", ".sh", ".txt", ".tsv", ".jsonl", ".cfg", ".yml"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{name}: {m.group(0)}" for m in MACHINE_PATH.finditer(text)]
    assert not offenders, offenders[:10]


def test_research_data_comes_from_one_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTUNE_RESEARCH_DATA", str(tmp_path))
    assert Settings().research_data_dir == tmp_path
    monkeypatch.delenv("ATTUNE_RESEARCH_DATA")
    assert Settings().research_data_dir == ROOT.parent / "shared" / "data"


@pytest.mark.parametrize("typed, label", [("sad", "sadness"), ("Happy", "joy"), ("scared", "fear"),
                                          ("angry", "anger"), ("surprise", "surprise"), ("", "neutral")])
def test_one_emotion_vocabulary_for_voice_and_face(typed, label):
    assert canonical_emotion(typed) == label
    assert check_emotion(typed or "neutral") == label
    assert resolve_emotion(typed) == label


def test_unknown_emotions_get_the_same_clear_error_everywhere():
    with pytest.raises(AvatarError) as face:
        check_emotion("ecstatic")
    with pytest.raises(ValueError) as voice:
        resolve_emotion("ecstatic")
    for error in (face.value, voice.value):
        assert "unknown emotion 'ecstatic'" in str(error) and "sadness" in str(error) and "sad" in str(error)
