"""ESC-Eval role-play harness: a real dialogue on the embedded model, resume, judge parsing, aggregation, Chinese cards."""
from __future__ import annotations

import csv
import json
import math

import pytest

from agent.cli import build_parser
from evals.esc.cards import load_cards
from evals.esc.dimensions import DIMENSIONS
from evals.esc.endpoints import CallCounter
from evals.esc.judge import Judge, parse_judge
from evals.esc.metrics import (ESCONV_DEV_STRATEGY_COUNTS, distinct_n, preference_bias_against_reference,
                               reply_metrics)
from evals.esc.roleplay import RolePlayer
from evals.esc.runner import EscConfig, EscRunner
from evals.esc.stats import aggregate, confidence_interval, dimension_summary
from evals.esc.systems import build_system

CARD_EN = {"base": "Age: 24\nGender: female\nOccupation: student\nProblem: She failed an important exam and is afraid "
                   "of telling her parents.", "res": "工作学习", "source": "test",
           "base_biaozhu": "年龄：24\n性别：女\n职业：学生\n问题：她一次重要的考试没有通过，害怕告诉父母。",
           "language": "english", "id": 1}
CARD_ZH = {"base": "年龄：青年\n性别：男\n职业：程序员\n问题：工作压力很大，经常加班，睡不好觉。", "res": "工作学习",
           "source": "test", "base_biaozhu": "年龄：青年\n性别：男\n职业：程序员\n问题：工作压力很大，经常加班，睡不好觉。",
           "language": "chinese", "id": 2}


@pytest.fixture(scope="module")
def cards_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cards") / "cards.json"
    path.write_text(json.dumps([CARD_EN, CARD_ZH], ensure_ascii=False), encoding="utf-8")
    return path


# -- judge parsing -------------------------------------------------------------------------------------------------
def test_parse_clean_json():
    parsed = parse_judge(json.dumps({d: i % 5 for i, d in enumerate(DIMENSIONS)}))
    assert parsed.scores == {d: i % 5 for i, d in enumerate(DIMENSIONS)}
    assert parsed.missing == [] and parsed.problems == {}


def test_parse_json_in_prose_and_fences():
    text = ("Sure! Here is my rating.\n```json\n{\"Fluency\": 3, \"Expression\": \"2\", \"Empathy\": 4, "
            "\"Information\": 1, \"Skillful\": 2, \"Humanoid\": 3, \"Overall\": 3}\n```\nHope this helps.")
    assert parse_judge(text).scores == {"fluency": 3, "expression": 2, "empathy": 4, "information": 1,
                                        "skillful": 2, "humanoid": 3, "overall": 3}
    nested = 'Result: {"scores": {"fluency": 2, "diversity": 3, "empathy": 1, "suggestion": 0, "emotional knowledge": 2, "human-like": 4, "overall": 2}}'
    assert parse_judge(nested).scores == {"fluency": 2, "expression": 3, "empathy": 1, "information": 0,
                                          "skillful": 2, "humanoid": 4, "overall": 2}


def test_parse_lines_with_fractions():
    text = "Fluency: 3/4\n**Expression**: 2\nEmpathy: 3/4\n- Information (0-4): 1\nSkillful = 2\nHumanoid: 4 out of 4\nOverall score: 3"
    assert parse_judge(text).scores == {"fluency": 3, "expression": 2, "empathy": 3, "information": 1,
                                        "skillful": 2, "humanoid": 4, "overall": 3}


def test_parse_out_of_range_and_missing_are_missing_not_zero():
    parsed = parse_judge('{"fluency": 5, "expression": 3.5, "empathy": "8/10", "information": -1, "skillful": 2}')
    assert parsed.scores["skillful"] == 2
    for dim in ("fluency", "expression", "empathy", "information", "humanoid", "overall"):
        assert parsed.scores[dim] is None
    assert "out of range" in parsed.problems["fluency"] and "not an integer" in parsed.problems["expression"]
    assert "another scale" in parsed.problems["empathy"] and parsed.problems["humanoid"] == "missing"
    # the first *valid* value wins: an invalid JSON value, then a valid line
    later = parse_judge('{"empathy": 7}\nEmpathy: 2')
    assert later.scores["empathy"] == 2 and "out of range" in later.problems["empathy"]
    assert parse_judge("I cannot rate this.").missing == list(DIMENSIONS)
    assert parse_judge("").missing == list(DIMENSIONS)


# -- aggregation ------------------------------------------------------------------------------------------------
def test_aggregation_scaling_and_t_interval():
    rows = [{d: v for d in DIMENSIONS} for v in (0, 1, 2, 3, 4)] + [{d: None for d in DIMENSIONS}]
    result = aggregate({"sys": rows}, ci="t")["sys"]
    fluency = result["dimensions"]["fluency"]
    assert fluency["n"] == 5 and fluency["missing"] == 1
    assert fluency["mean_0_4"] == 2 and fluency["score"] == 50.0
    half = 2.7764451 * math.sqrt(2.5) / math.sqrt(5) * 25  # t(0.975, 4) · sd / √n, scaled by 100/4
    assert fluency["ci_low"] == pytest.approx(50 - half, abs=0.01) and fluency["ci_high"] == pytest.approx(50 + half, abs=0.01)
    assert result["average"]["score"] == 50.0 and result["average"]["missing"] == 1
    assert dimension_summary([4, 4, 4, None])["score"] == 100.0
    assert dimension_summary([None, None]) == {"n": 0, "missing": 2, "mean_0_4": None, "score": None,
                                               "ci_low": None, "ci_high": None}


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    values = [1, 2, 2, 3, 3, 3, 4, 0, 2, 3]
    low, high = confidence_interval(values, "bootstrap", seed=0)
    assert (low, high) == confidence_interval(values, "bootstrap", seed=0)
    assert low < sum(values) / len(values) < high
    assert confidence_interval([3], "bootstrap") is None
    assert confidence_interval([2, 2, 2], "t") == (2.0, 2.0)


def test_automatic_metrics_and_bias():
    assert distinct_n(["a b a b"], 1) == 0.5 and distinct_n(["a b a b"], 2) == pytest.approx(2 / 3, abs=1e-4)
    assert distinct_n(["我很难过"], 1, "zh") == 1.0
    m = reply_metrics(["As an AI, I can't feel.\n1. Rest\n2. Talk to a friend", "That sounds hard."], "en")
    assert m["replies_with_ai_tell"] == 1 and m["replies_with_list"] == 1 and m["replies"] == 2
    assert preference_bias_against_reference(dict(ESCONV_DEV_STRATEGY_COUNTS))["B"] == 0.0
    assert preference_bias_against_reference({"Information": 10})["B"] == pytest.approx(math.sqrt(7), abs=1e-3)


# -- cards and languages ---------------------------------------------------------------------------------------------
def test_cards_language_selection(cards_file):
    en, zh = load_cards(cards_file)
    assert (en.language, zh.language) == ("en", "zh")
    assert en.text.startswith("Age: 24") and zh.text.startswith("年龄：青年")
    forced = load_cards(cards_file, n=1, lang="zh")
    assert len(forced) == 1 and forced[0].language == "zh" and forced[0].text.startswith("年龄：24")


def test_cli_help_lists_the_command():
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["eval", "esc", "--help"])
    args = parser.parse_args(["eval", "esc", "--cards", "c.json", "--out", "o", "--system", "attune",
                              "--system", "openai:http://gpu:8000/v1:Qwen/Qwen2.5-7B-Instruct"])
    assert args.system == ["attune", "openai:http://gpu:8000/v1:Qwen/Qwen2.5-7B-Instruct"] and args.rounds == 5


def test_openai_system_spec(settings):
    system = build_system("openai:http://gpu:8000/v1:Qwen/Qwen2.5-7B-Instruct", settings, settings.prompts_dir,
                          max_tokens=64, seed=1, counter=CallCounter())
    assert system.settings.llm.base_url == "http://gpu:8000/v1" and system.settings.llm.model == "Qwen/Qwen2.5-7B-Instruct"
    assert system.label == "openai-Qwen/Qwen2.5-7B-Instruct" and not system.needs_embedded
    with pytest.raises(ValueError):
        build_system("openai:http://gpu:8000/v1", settings, settings.prompts_dir, max_tokens=64, seed=1,
                     counter=CallCounter())


# -- real dialogues on the embedded model ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def english_run(cards_file, tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("esc")
    config = EscConfig(cards=cards_file, out=out, n=1, rounds=2, systems=["attune"], max_tokens=64, progress=False)
    summary = EscRunner(config, settings).run()
    return config, summary


def test_full_dialogue_with_attune(english_run):
    config, summary = english_run
    assert summary["run"]["statuses"] == {"ok": 1}, summary["errors"]
    record = json.loads((config.out / "dialogues" / "attune" / "1.json").read_text())
    assert record["status"] == "ok" and len(record["turns"]) == 2 and record["language"] == "en"
    assert record["greeting"].startswith("Hello") and record["seed"] == 0
    for turn in record["turns"]:
        assert turn["seeker"] and turn["system"]
        assert turn["attune"]["plan"]["strategy"] and "fused" in turn["attune"]["perception"]
        assert "escalate" in turn["seeker_analysis"]["safety"]
    judge = record["judge"]
    assert set(judge["scores"]) == set(DIMENSIONS) and judge["raw"]
    assert all(v is None or 0 <= v <= 4 for v in judge["scores"].values())
    # missing scores are counted, not zeroed
    dims = summary["systems"]["attune"]["scores"]["dimensions"]
    assert all(dims[d]["n"] + dims[d]["missing"] == 1 for d in DIMENSIONS)
    for name in ("report.md", "scores.json", "scores.csv", "summary.csv", "dimensions.png", "strategies.png",
                 "trajectories.png", "run.json"):
        assert (config.out / name).is_file(), name
    rows = list(csv.DictReader(open(config.out / "scores.csv", encoding="utf-8")))
    assert rows[0]["system"] == "attune" and rows[0]["card_id"] == "1"
    assert "Judge scores (0–100)" in (config.out / "report.md").read_text()


def test_resume_makes_no_llm_calls(english_run, settings, monkeypatch):
    config, _ = english_run

    def forbidden(*args, **kwargs):
        raise AssertionError("a finished dialogue was played or judged again")

    monkeypatch.setattr(EscRunner, "run_dialogue", forbidden)
    monkeypatch.setattr(Judge, "score", forbidden)
    runner = EscRunner(config, settings)
    summary = runner.run()
    assert summary["run"]["statuses"] == {"skipped": 1}
    assert dict(runner.counter.counts) == {}
    assert summary["systems"]["attune"]["dialogues"]["judged"] == 1


def test_failure_is_logged_and_others_survive(cards_file, tmp_path, settings, monkeypatch):
    original = EscRunner.run_dialogue

    def flaky(self, system, card):
        if card.id == "1":
            raise RuntimeError("endpoint exploded")
        return original(self, system, card)

    monkeypatch.setattr(EscRunner, "run_dialogue", flaky)
    monkeypatch.setattr(Judge, "score", lambda self, greeting, turns: {
        "scores": {d: 2 for d in DIMENSIONS}, "problems": {}, "source": {}, "method": "test", "raw": "", "seconds": 0.0})
    config = EscConfig(cards=cards_file, out=tmp_path, rounds=1, systems=["baseline"], max_tokens=32, progress=False)
    summary = EscRunner(config, settings).run()
    assert summary["run"]["statuses"] == {"failed": 1, "ok": 1}
    failure = json.loads((tmp_path / "failures.jsonl").read_text().splitlines()[0])
    assert failure["card"] == "1" and "endpoint exploded" in failure["error"]
    assert json.loads((tmp_path / "dialogues" / "baseline" / "1.json").read_text())["status"] == "failed"
    # the Chinese card was role-played in Chinese with the zh prompt and the card's Chinese text
    zh = json.loads((tmp_path / "dialogues" / "baseline" / "2.json").read_text())
    assert zh["status"] == "ok" and zh["language"] == "zh" and zh["roleplayer_prompt"] == "esc_roleplay_zh"
    assert zh["card"]["text"].startswith("年龄：青年") and zh["greeting"].startswith("你好")
    assert summary["systems"]["baseline"]["scores"]["dimensions"]["empathy"]["score"] == 50.0


def test_chinese_roleplay_prompt(cards_file, settings):
    runner_cards = load_cards(cards_file)
    player = RolePlayer(settings, settings.prompts_dir, CallCounter())
    messages = player.messages(runner_cards[1], [{"seeker": "我最近压力很大。", "system": "听起来很辛苦。"}])
    assert messages[0].content.startswith("我希望你扮演") and "工作压力很大" in messages[0].content
    assert messages[1].content.startswith("你好") and messages[2].content == "我最近压力很大。"
    english = player.messages(runner_cards[0], [])
    assert english[0].content.startswith("I hope you can role-play") and "failed an important exam" in english[0].content


def test_embedded_roles_are_reproducible(settings):
    """llama.cpp's prompt cache breaks seeded reproducibility: the embedded roles turn it off, remote ones are untouched."""
    runner = EscRunner(EscConfig(cards="unused.json", out="unused", systems=["attune", "baseline"], progress=False), settings)
    assert runner.roleplayer_settings.llm.resolved_extra_body() == {"repeat_penalty": 1.15, "cache_prompt": False}
    assert runner.judge_settings.llm.resolved_extra_body() == {"cache_prompt": False}  # no repeat penalty for a judge
    assert all(s.settings.llm.resolved_extra_body()["cache_prompt"] is False for s in runner.systems)
    assert runner.concurrency == 1
    remote = EscRunner(EscConfig(cards="unused.json", out="unused", systems=["openai:http://gpu:8000/v1:m"],
                                 roleplayer_url="http://gpu:8001/v1", judge_url="http://gpu:8002/v1", progress=False), settings)
    assert remote.roleplayer_settings.llm.resolved_extra_body() == {} and remote.judge_settings.llm.resolved_extra_body() == {}
    assert remote.concurrency == 8


# -- smoke tests are marked as such ----------------------------------------------------------------------------------
def test_embedded_judge_run_is_marked_a_smoke_test(english_run):
    config, summary = english_run
    assert summary["smoke_test"] is True and "embedded SmolLM2-135M" in summary["smoke_test_reason"]
    assert json.loads((config.out / "scores.json").read_text())["smoke_test"] is True
    report = (config.out / "report.md").read_text()
    title, _, warning = report.splitlines()[:3]
    assert "smoke test" in title.lower() and warning.startswith("> **Smoke test.**") and "not results" in warning
    # the scores are not presented as results: no results heading or chart, only a late "not results" section
    assert "## Judge scores" not in report and "![dimensions]" not in report
    assert report.index("## Smoke-test numbers (not results)") > report.index("## Automatic metrics")
    assert "## Strategies (attune)" in report and "### Sample dialogue" in report  # everything else stays


def fake_dialogue(self, system, card):
    turn = {"round": 1, "seeker": "I failed my exam.", "system": "That sounds really hard.", "system_seconds": 0.0,
            "seeker_analysis": {"safety": {"escalate": False}, "emotion": {"label": "sadness", "valence": -0.5}}}
    return {"greeting": "Hello", "turns": [turn], "dialogue_seconds": 0.0}


def fixed_scores(self, greeting, turns):
    return {"scores": {d: 3 for d in DIMENSIONS}, "problems": {}, "source": {}, "method": "test", "raw": "", "seconds": 0.0}


def test_remote_roleplayer_and_judge_are_not_a_smoke_test(cards_file, tmp_path, settings, monkeypatch):
    monkeypatch.setattr(EscRunner, "run_dialogue", fake_dialogue)
    monkeypatch.setattr(Judge, "score", fixed_scores)
    config = EscConfig(cards=cards_file, out=tmp_path, n=1, rounds=1, systems=["baseline"], progress=False,
                       roleplayer_url="http://gpu:8001/v1", judge_url="http://gpu:8002/v1")
    summary = EscRunner(config, settings).run()
    assert summary["run"]["statuses"] == {"ok": 1} and "smoke_test" not in summary
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# ESC-Eval role-play report") and "smoke" not in report.lower()
    assert "## Judge scores (0–100)" in report and "![dimensions](dimensions.png)" in report


def test_an_embedded_judge_alone_makes_a_smoke_test_and_stays_one_on_resume(cards_file, tmp_path, settings, monkeypatch):
    monkeypatch.setattr(EscRunner, "run_dialogue", fake_dialogue)
    monkeypatch.setattr(Judge, "score", fixed_scores)
    config = EscConfig(cards=cards_file, out=tmp_path, n=1, rounds=1, systems=["baseline"], progress=False,
                       roleplayer_url="http://gpu:8001/v1")
    summary = EscRunner(config, settings).run()
    assert summary["smoke_test"] is True and summary["smoke_test_reason"].startswith("the judge is the embedded")
    # a remote judge now, but the dialogue kept its embedded judgement (no --rejudge): still not a result
    config.judge_url = "http://gpu:8002/v1"
    assert EscRunner(config, settings).run()["smoke_test"] is True
    config.rejudge = True
    assert "smoke_test" not in EscRunner(config, settings).run()


def test_cli_says_smoke_test_above_the_table(cards_file, tmp_path, monkeypatch, capsys):
    from agent.cli import main

    monkeypatch.setattr(EscRunner, "run_dialogue", fake_dialogue)
    monkeypatch.setattr(Judge, "score", fixed_scores)
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["eval", "esc", "--cards", str(cards_file), "--out", str(tmp_path), "--n", "1", "--rounds", "1",
                 "--system", "baseline", "--no-progress"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.index("smoke test: the role-player and the judge are the embedded") < out.index("ESC-Eval smoke test, not results")
    assert "--judge-url and --roleplayer-url" in out and "docs/esc-eval.md" in out
