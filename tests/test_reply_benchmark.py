"""The offline reply benchmark (`attune eval replies`): its data reading, its detectors, the EPITOME empathy heads
and the fluency model on real models, and a small end-to-end run through the CLI."""
from __future__ import annotations

import json

import pytest

from agent.details import invented_details, placeholders
from evals.replies.data import read_dialogues, sample
from evals.replies.score import ReplyRecord, mark_repeats

# the examples quoted in the conversation issue (#13): each must be caught
ISSUE_EXAMPLES = [
    ("i've been feeling so alone since my dad moved away", "…especially during holidays like Christmas.", "Christmas"),
    ("my friend betrayed me", "I have been doing grocery pick-up because of the pandemic", "i have been doing"),
    ("my friend and i had a falling out", "Ive been through a few bad breakups myself", "myself"),
    ("my sister won't talk to me", "How is your husband taking all of this?", "your husband"),
    ("i lost my job last week", "It has been three weeks since Monday, hasn't it?", "three"),
]


@pytest.mark.parametrize("history, reply, detail", ISSUE_EXAMPLES)
def test_invented_details_are_caught(history, reply, detail):
    assert detail in invented_details(reply, history)


@pytest.mark.parametrize("history, reply", [
    ("my husband left me after ten years and i can't stop crying", "Ten years is a long time to share with your husband. No wonder it hurts this much."),
    ("i failed my exams and my parents are furious", "That sounds really hard. How are you feeling about your exams now?"),
    ("things are rough", "I'm sorry things are rough. What has been the hardest part?"),
    ("we keep fighting", "It sounds like the two of you are stuck. What do the fights usually start with?"),
])
def test_faithful_replies_have_no_invented_details(history, reply):
    assert invented_details(reply, history) == []


def test_placeholders_are_caught():
    assert placeholders("[🌱] I'm so sorry to hear about your pain and heartache, [name]") == ["[🌱]", "[name]"]
    assert placeholders("USER: hi") and placeholders("Dear {user}, hang in there")
    assert placeholders("I'm so sorry. That sounds exhausting.") == []


TSV_LINES = [  # ESConv's strategy TSV: each line a window of the dialogue so far, the last turn the target
    "1.0 0 0 Hi there.  EOS 1.0 1 1 [Questions] Hello, what brings you here today?",
    "1.0 0 0 Hi there.  EOS 1.0 1 1 [Questions] Hello, what brings you here today? EOS 1.0 0 2 I lost my job. EOS 1.0 0 3 "
    "It was sudden.  EOS 1.0 1 4 [Reflection of feelings] That must have been a shock. EOS 1.0 1 5 [Questions] How are you coping?",
    "1.0 1 5 [Questions] How are you coping? EOS 1.0 0 6 Not well, honestly.  EOS 1.0 1 7 [Affirmation and Reassurance] "
    "It makes sense to feel that way.",
    "1.0 0 0 My cat died.  EOS 1.0 1 1 [Reflection of feelings] I'm so sorry, losing a pet hurts.",
]


def test_tsv_windows_are_merged_into_whole_dialogues(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text("\n".join(TSV_LINES) + "\n")
    first, second = read_dialogues(path)
    assert [(e.seeker, e.supporter) for e in first.exchanges] == [
        ("Hi there.", "Hello, what brings you here today?"),
        ("I lost my job. It was sudden.", "That must have been a shock. How are you coping?"),
        ("Not well, honestly.", "It makes sense to feel that way."),
    ]
    assert first.exchanges[1].strategies == ["Reflection of Feelings", "Question"]
    assert [(e.seeker, e.supporter) for e in second.exchanges] == [("My cat died.", "I'm so sorry, losing a pet hurts.")]
    picked = sample([first, second], n=3, seed=1, per_dialogue=2)
    assert sum(1 for d, k in picked for e in d.exchanges[:k] if e.seeker) == 3
    assert picked == sample([first, second], n=3, seed=1, per_dialogue=2)  # seeded


def test_jsonl_dialogues_are_read(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"emotion_type": "sadness", "problem_type": "breakup", "situation": "s", "dialog": [
        {"text": "Hi", "speaker": "sys", "strategy": "Question"}, {"text": "hello", "speaker": "usr"},
        {"text": "we broke up", "speaker": "usr"}, {"text": "I'm sorry.", "speaker": "sys", "strategy": "Others"}]}) + "\n")
    (dialogue,) = read_dialogues(path)
    assert dialogue.problem_type == "breakup"
    assert [(e.seeker, e.supporter) for e in dialogue.exchanges] == [("", "Hi"), ("hello we broke up", "I'm sorry.")]


def test_bad_data_files_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_dialogues(tmp_path / "missing.tsv")
    (tmp_path / "empty.tsv").write_text("not esconv at all\n")
    with pytest.raises(ValueError, match="no dialogues"):
        read_dialogues(tmp_path / "empty.tsv")


def test_repeats_are_counted_within_a_dialogue_only():
    def record(dialogue, reply):
        return ReplyRecord("s", dialogue, 0, "", "", "", reply)

    records = [record("a", "That sounds really hard to carry. What happened?"), record("a", "I see. That sounds really hard to carry."),
               record("b", "That sounds really hard to carry."), record("a", "I see.")]
    assert mark_repeats(records) == [False, True, False, False]  # "I see." is too short to count


# hand-written (post, empathic reply, dismissive reply): the heads must rank the empathic one higher
EMPATHY_PAIRS = [
    ("My dog died yesterday and the house feels so empty.",
     "I'm so sorry about your dog. Coming home to that silence must be heartbreaking. What was he like?",
     "Dogs die, you can always get another one."),
    ("I failed my driving test for the third time and I feel like an idiot.",
     "That sounds really discouraging, and it makes sense you feel down after trying so hard. What happened this time?",
     "Just practice more."),
    ("My best friend stopped talking to me and I don't know why.",
     "That must be so confusing and painful, losing someone you trusted without any explanation. How long has it been?",
     "Whatever, people change."),
    ("I've been so anxious about work that I can't sleep.",
     "I'm sorry you're carrying so much worry that it keeps you up at night. That sounds exhausting. What is weighing on you most?",
     "Everyone has work stress. Go to bed earlier."),
    ("My parents are getting divorced and I feel like it's my fault.",
     "It's really painful to see your parents split up, and it's understandable to wonder if you played a part. It is not your fault. Do you want to talk about what's been happening at home?",
     "That happens a lot."),
]


@pytest.fixture(scope="module")
def empathy_scorer():
    from agent.config import Settings
    from agent.embeddings import shared_embedder
    from evals.empathy import EmpathyScorer

    settings = Settings()
    return EmpathyScorer(settings.data_dir, shared_embedder(settings.embedder(), 2), settings.cache_dir)


def test_empathy_heads_rank_an_empathic_reply_above_a_dismissive_one(empathy_scorer):
    posts = [p for p, _, _ in EMPATHY_PAIRS]
    good = empathy_scorer.levels(posts, [g for _, g, _ in EMPATHY_PAIRS])
    bad = empathy_scorer.levels(posts, [b for _, _, b in EMPATHY_PAIRS])
    total = lambda levels, i: sum(levels[m][i] for m in levels)  # noqa: E731
    assert all(total(good, i) > total(bad, i) for i in range(len(EMPATHY_PAIRS)))
    assert all(good["emotional_reactions"] > bad["emotional_reactions"])
    assert all(good["explorations"] > bad["explorations"])  # every empathic reply asks; no dismissive one does
    figures = empathy_scorer.cv_figures()
    assert all(f["cv_macro_f1"] > f["majority_macro_f1"] + 0.15 for f in figures.values())


def test_fluency_is_the_embedded_models_perplexity():
    from agent.config import Settings
    from evals.fluency import Perplexity

    settings = Settings()
    fluent, broken, salad, empty = Perplexity(settings.gguf(), 2, settings.cache_dir)(
        ["I'm so sorry you're going through this. It sounds exhausting.",
         "I'm so sorry you mean partly the prof yeah.", "sorry the is going you of tired", "  "])
    assert fluent < 100 < broken < salad
    assert empty is None


def test_the_real_supporter_reply_replaces_the_agents_in_the_history(fresh_agent):
    fresh_agent.respond("my boss yelled at me in front of everyone today")
    fresh_agent.follow("That sounds humiliating. What did he say?")
    last = fresh_agent.history[-1]
    assert last.reply.text == "That sounds humiliating. What did he say?"
    assert last.state.agent_questions[-1].text == "What did he say?"
    assert last.state.openings[-1] == "that sounds humiliating"
    turn = fresh_agent.respond("he said my report was garbage")
    # the person answered the supporter's question, so it is no longer open
    (asked,) = [q for q in turn.state.agent_questions if q.text == "What did he say?"]
    assert asked.answered


def test_eval_replies_runs_offline_from_the_cli(tmp_path, capsys, settings):
    from agent.cli import main

    path = tmp_path / "dev.tsv"
    path.write_text("\n".join(TSV_LINES) + "\n")
    out = tmp_path / "run"
    main(["eval", "replies", "--data", str(path), "--n", "3", "--system", "human", "--system", "attune",
          "--no-fluency", "--no-progress", "--out", str(out), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["messages_answered"] == 3
    assert set(summary["systems"]) == {"human", "attune"}
    human, attune = summary["systems"]["human"], summary["systems"]["attune"]
    assert human["n"] == attune["n"] == 3 and attune["errors"] == 0
    assert human["similarity_to_human"] > 0.99 > attune["similarity_to_human"]
    assert all(0 <= attune[m] <= 2 for m in ("emotional_reactions", "interpretations", "explorations"))
    records = [json.loads(line) for line in (out / "replies.jsonl").read_text().splitlines()]
    assert [r["seeker"] for r in records if r["system"] == "attune"] == [
        r["seeker"] for r in records if r["system"] == "human"]
    assert "| attune |" in (out / "report.md").read_text()
