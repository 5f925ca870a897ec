"""The trained text-emotion head on the real packaged MiniLM, and the MELD-format emotion bench."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from agent.embeddings import shared_embedder
from agent.perception.text import HEAD_FILE, HEAD_RECIPE, TextEmotionModel
from evals.emotion_bench import bench_emotion

LABELS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]


@pytest.fixture(scope="module")
def model(settings) -> TextEmotionModel:
    m = TextEmotionModel(shared_embedder(settings.embedder(), settings.torch_threads), settings.data_dir)
    m.setup()
    return m


def test_the_shipped_head_is_small_plain_numpy_and_used(model, settings):
    path = settings.data_dir / HEAD_FILE
    assert path.is_file() and path.stat().st_size < 5_000_000
    with np.load(path, allow_pickle=False) as z:  # no pickled objects
        assert str(z["recipe"]) == HEAD_RECIPE and list(z["labels"]) == LABELS
    assert model.backend == "head" and model.labels == LABELS
    assert model.head.meta["dev_tuned"]["weighted_f1"] > 0.5


@pytest.mark.parametrize("text, label", [
    ("I am so happy, I got the job!", "joy"),
    ("My dog died and I can't stop crying", "sadness"),
    ("Get out of my house, I'm furious!", "anger"),
    ("I lost my job today and I feel like a failure.", "sadness"),
    ("Wait, what? You are getting married?!", "surprise"),
])
def test_clear_sentences(model, text, label):
    estimate = model.predict(text)
    assert estimate.label == label, estimate.scores
    assert set(estimate.scores) == set(LABELS) and sum(estimate.scores.values()) == pytest.approx(1, abs=1e-3)
    assert estimate.confidence == pytest.approx(max(estimate.scores.values()), abs=1e-3)
    assert estimate.fine_label and estimate.cues


@pytest.mark.parametrize("text, label", [
    # the MELD head alone read these as disgust / sadness / neutral: a feeling the person names is the best cue
    ("I'm so angry at my brother.", "anger"),
    ("My boss yelled at me in front of everyone and I'm furious.", "anger"),
    ("I'm so frustrated with this project.", "anger"),
    ("I'm feeling a bit calmer today, thanks for yesterday.", "joy"),
])
def test_a_named_feeling_is_read(model, text, label):
    assert model.predict(text).label == label


def test_a_negated_or_borrowed_feeling_word_is_not_a_self_report(model):
    report = model.self_report
    assert report.named("I'm not angry, just tired.") == [] and report.named("I don't feel sad anymore.") == []
    assert report.named("She said she was angry.") == []  # someone else's feeling
    assert report.named("Honestly I've been really really anxious") == ["fear"]
    p = np.full(len(LABELS), 1 / len(LABELS))
    assert np.allclose(report.adjust(p, "nothing named here"), p) and report.adjust(p, "I'm sad").sum() == pytest.approx(1)


def test_context_is_used_and_probabilities_sum_to_one(model):
    probs = model.probabilities(["Me too!", "Me too!"], [[], ["I am so happy, I got the job!"]])
    assert np.allclose(probs.sum(1), 1, atol=1e-5) and not np.allclose(probs[0], probs[1])
    assert model.predict("Me too!", ["I am so happy, I got the job!"]).label == "joy"
    curly, straight = model.probabilities(["I can\u2019t believe it\u2026", "I can't believe it..."])
    assert np.allclose(curly, straight)


def test_bench_on_a_small_meld_csv(tmp_path, settings):
    lines = [
        ("Oh my God, he\u2019s lost it. He\u2019s totally lost it.", "sadness"), ("What?", "surprise"),
        ("You\u2019re a genius!", "joy"), ("Now, there\u2019s two reasons.", "neutral"),
        ("I hate you, get out!", "anger"), ("That is so gross.", "disgust"), ("I'm scared.", "fear"),
        ("Okay.", "neutral"), ("This is the best day of my life!", "joy"), ("I miss her so much.", "sadness"),
    ]
    path = tmp_path / "mini.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID"])
        for i in range(20):  # 4 dialogues of 5, written out of order
            text, emotion = lines[(i * 3) % len(lines)]
            writer.writerow([i + 1, text, "A", emotion, "neutral", 3 - i // 5, 4 - i % 5])
    result = bench_emotion(path, settings, plot_path=tmp_path / "confusion.png")
    assert result["n"] == 20 and result["labels"] == LABELS
    for key in ("accuracy", "macro_f1", "weighted_f1"):
        assert 0 <= result[key] <= 1
    assert sum(c["support"] for c in result["per_class"].values()) == 20
    assert result["plot"] and (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
