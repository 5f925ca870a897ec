"""CLI and profiles: bad input gives a clear error (before any TTS loads); three consistent avatar profiles."""
from __future__ import annotations

import json

import pytest

from agent.avatar import AvatarError, list_avatars, load_look
from agent.cli import main
from agent.config import REPO_ROOT

AVATARS = REPO_ROOT / "avatars"


@pytest.mark.parametrize("argv, message", [
    (["--text", "   ", "--emotion", "joy"], "text is empty"),
    (["--text", "Hello.", "--emotion", "ecstatic"], "unknown emotion"),
    (["--text", "Hello.", "--emotion", "joy", "--intensity", "3"], "intensity"),
    (["--text", "Hello.", "--emotion", "joy", "--avatar", "nobody"], "unknown avatar"),
])
def test_render_bad_input(argv, message, tmp_path, capsys):
    code = main(["render", *argv, "--out", str(tmp_path / "x.mp4"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and message in out["error"]
    assert not (tmp_path / "x.mp4").exists()


def test_three_consistent_profiles():
    keys = list_avatars(AVATARS)
    assert {"sage", "maya", "ruth"} <= set(keys)
    looks = [load_look(AVATARS, k) for k in keys]
    assert len({(a.face.skin, a.face.hair, a.face.iris, a.face.hair_style) for a in looks}) == len(looks)
    sage = load_look(AVATARS, "sage")
    assert sage.persona.personality.agreeableness == 0.9  # sage's persona kept
    for a in looks:
        assert a.persona.style and a.profile.description
        if a.profile.gender == "female":  # the female espeak voice, or a pitched-up one
            assert (a.voice.engine == "espeak" and "+f" in a.voice.voice) or a.voice.pitch_semitones >= 3
        if a.profile.gender == "male":
            assert a.voice.engine == "piper" or "+m" in a.voice.voice
        if a.profile.age_group == "elderly":
            assert a.voice.rate < 1 and a.face.age > 0.5


def test_unknown_avatar_is_an_avatar_error():
    with pytest.raises(AvatarError, match="available"):
        load_look(AVATARS, "nobody")


def test_avatars_command_lists_profiles(capsys):
    assert main(["avatars", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["avatars"]
    assert {r["avatar"] for r in rows} >= {"sage", "maya", "ruth"}
    assert all({"profile", "voice", "personality", "face"} <= set(r) for r in rows)


def test_render_with_the_real_tts(tmp_path, capsys):
    pytest.importorskip("espeakng_loader")
    out = tmp_path / "maya.mp4"
    code = main(["render", "--text", "Hello there. I'm listening.", "--emotion", "joy", "--avatar", "maya",
                 "--out", str(out), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    assert payload["tts_engine"] == "espeak" and payload["sentences"] == 2
    assert abs(payload["av_diff_ms"]) <= 40 and payload["video"]["video_codec"] == "h264"
    doc = json.loads((tmp_path / "maya.timeline.json").read_text())
    assert any(v["viseme"] == "PP" for c in doc["chunks"] for v in c["visemes"])  # the /m/ in "I'm"
