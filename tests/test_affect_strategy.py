"""The trained ESC strategy planner: preference bias B, dialogue grouping, the shipped head, stage progression."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.affect.esconv import confusion_matrix, preference_bias, read_esconv
from agent.affect.strategy import RuleStrategyPlanner, StrategyContext, load_strategy_planner
from agent.affect.strategy_model import ACTION, TrainedStrategyPlanner, stage_adjust
from agent.affect.train_strategy import grouped_folds
from agent.config import Settings
from agent.embeddings import shared_embedder
from agent.perception.text import TextEmotionModel
from agent.types import STRATEGIES, UserState

ESCONV = Settings().research_data_dir / "esconv" / "devWithStrategy_short.tsv"


def test_bias_is_zero_for_a_balanced_diagonal_matrix():
    assert preference_bias(np.eye(8) * 25) == pytest.approx(0.0, abs=1e-9)


def test_bias_is_large_when_one_strategy_is_always_predicted():
    always_first = np.zeros((8, 8))
    always_first[:, 0] = 30  # every gold class predicted as strategy 0
    assert preference_bias(always_first) == pytest.approx(np.sqrt(7), rel=1e-6)


def test_bias_grows_with_the_preference_for_one_strategy():
    mild, strong = np.eye(8) * 20, np.eye(8) * 20
    mild[1:, 0] += 5      # some turns of every class drift to strategy 0
    strong[1:, 0] += 15
    assert 0 < preference_bias(mild) < preference_bias(strong) < np.sqrt(7)


def test_confusion_matrix_layout_is_gold_by_predicted():
    counts = confusion_matrix(["Question", "Question", "Others"], ["Others", "Question", "Others"])
    assert counts[STRATEGIES.index("Question"), STRATEGIES.index("Others")] == 1
    assert counts.sum() == 3


@pytest.mark.skipif(not ESCONV.is_file(), reason="ESConv dev file not available")
def test_dialogues_are_reconstructed_and_folds_never_split_one():
    samples = read_esconv(ESCONV)
    assert len(samples) == 2985
    dialogues = np.array([s.dialogue for s in samples])
    assert 150 < len(set(dialogues)) < 300
    # within a dialogue the target turn index increases and the strategy history grows one by one
    for a, b in zip(samples, samples[1:]):
        if a.dialogue == b.dialogue:
            assert b.turn_index > a.turn_index and b.previous_strategies == a.previous_strategies + [a.strategy]
    folds = grouped_folds(dialogues, 5, seed=13)
    for d in set(dialogues):
        assert len(set(folds[dialogues == d])) == 1


@pytest.fixture(scope="module")
def models():
    settings = Settings()
    embedder = shared_embedder(settings.embedder(), settings.torch_threads)
    planner = load_strategy_planner(settings, embedder)
    planner.setup()
    return settings, planner, TextEmotionModel(embedder, settings.data_dir)


def _context(emotion_model, text, turn, previous, history):
    estimate = emotion_model.predict(text, [u for u, _ in history[-2:]])
    state = UserState(text=estimate, fused=estimate.model_copy(update={"modality": "fused"}))
    return StrategyContext(text, state, turn, list(previous), list(history))


def test_factory_picks_the_backend_from_settings(models):
    settings, planner, _ = models
    assert isinstance(planner, TrainedStrategyPlanner)
    rules = Settings(planner={"strategy_backend": "rules"})
    assert isinstance(load_strategy_planner(rules, planner.embedder), RuleStrategyPlanner)


def test_shipped_head_gives_a_valid_distribution(models):
    _, planner, emotions = models
    assert planner.head.meta["grouped_by"] == "dialogue"
    probs, _ = planner.distribution(_context(emotions, "I failed my exam and my parents are furious.", 1, ["Question"],
                                             [("I'm so stressed.", "What is stressing you?")]))
    assert probs.shape == (len(STRATEGIES),)
    assert np.all(probs >= 0) and probs.sum() == pytest.approx(1.0, abs=1e-6)


def test_stage_progression_over_a_scripted_conversation(models):
    _, planner, emotions = models
    script = [
        "I lost my job today and I feel like a failure.",
        "It was so sudden, my boss just called me in and said they were cutting my position.",
        "I've been there six years. I don't know how I'll pay rent.",
        "I just feel so worthless right now.",
        "What should I do now?",
    ]
    history, previous, choices = [], [], []
    for turn, text in enumerate(script):
        choice = planner.choose(_context(emotions, text, turn, previous, history))
        assert choice.strategy in STRATEGIES and choice.reason.startswith("top: ")
        choices.append(choice)
        previous.append(choice.strategy)
        history.append((text, "I'm here with you. Tell me more."))
    assert choices[0].stage == "exploration"
    assert all(c.strategy not in ACTION for c in choices[:2])
    assert any(c.stage == "comforting" for c in choices[2:4])  # comfort before suggesting
    assert choices[4].stage == "action"                          # asked what to do, after being heard


def test_asking_for_advice_early_may_bring_suggestions_forward(models):
    _, planner, emotions = models
    context = _context(emotions, "My landlord is evicting me, what should I do?", 1, ["Question"],
                       [("I have a problem with my flat.", "What happened?")])
    probs, notes = planner.distribution(context)
    assert "they asked what to do" in notes
    action = [STRATEGIES.index(s) for s in ACTION]
    unasked, _ = stage_adjust(np.full(8, 1 / 8), "My landlord is evicting me.", 1)
    asked, _ = stage_adjust(np.full(8, 1 / 8), "My landlord is evicting me, what should I do?", 1)
    assert unasked[action].sum() == 0 and asked[action].sum() > 2 / 8 and probs[action].sum() > 0.1


def test_the_shipped_head_records_how_it_was_chosen_and_scored(models):
    """The head was trained on ESConv's training split and scored on dev: its meta carries the figures the bench
    prints (dev scores, the learning curve over 25–100 % of the dialogues), and they beat the majority baseline."""
    _, planner, _ = models
    meta = planner.head.meta
    assert meta["trained_on"].startswith("trainWithStrategy") and meta["n"] > 12000
    assert [p["fraction"] for p in meta["learning_curve"]] == [0.25, 0.5, 0.75, 1.0]
    assert meta["learning_curve"][-1]["macro_f1"] == meta["dev"]["macro_f1"]
    assert meta["dev"]["macro_f1"] > 0.2 and meta["dev"]["preference_bias"] < 1.0


def test_learning_curve_shares_are_nested_and_whole_dialogues():
    from agent.affect.train_strategy import fraction_of_dialogues

    groups = np.repeat(np.arange(40), 3)
    masks = [fraction_of_dialogues(groups, f, seed=13) for f in (0.25, 0.5, 0.75, 1.0)]
    assert [len(np.unique(groups[m])) for m in masks] == [10, 20, 30, 40]
    assert all((a <= b).all() for a, b in zip(masks, masks[1:]))  # each share contains the smaller one
    for m in masks:
        for g in np.unique(groups[m]):
            assert m[groups == g].all()
