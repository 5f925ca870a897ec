import re

import numpy as np

from agent.planner.exemplars import ExemplarIndex, curate_esconv, details_fit, key_sentence
from agent.types import STRATEGIES


def test_shipped_corpus_is_curated(agent):
    index = agent.composer.index
    index.setup()
    assert len(index.exemplars) > 1000
    assert {e.strategy for e in index.exemplars} <= set(STRATEGIES) - {"Others"}
    blocked = re.compile(r"\b(fuck|shit|bitch|joke|sex)\b|\d|http", re.I)
    assert not [e.text for e in index.exemplars if blocked.search(e.text)]


def test_search_filters_by_strategy_and_ranks_by_situation(agent):
    index = agent.composer.index
    query = agent.embedder.encode_one("My girlfriend broke up with me and I'm heartbroken.")
    hits = index.search(query, "Question", k=5)
    assert len(hits) == 5 and all(e.strategy == "Question" and not e.personal for e, _ in hits)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    # the best match's seeker talked about a relationship
    contexts = " ".join(e.context.lower() for e, _ in hits[:3])
    assert re.search(r"girlfriend|boyfriend|partner|relationship|broke|break", contexts)


def test_index_is_cached_on_disk(agent, tmp_path):
    index = ExemplarIndex(agent.composer.index.corpus_path, agent.embedder, tmp_path)
    index.setup()
    cached = list(tmp_path.glob("exemplars-*.npz"))
    assert len(cached) == 1
    again = ExemplarIndex(index.corpus_path, agent.embedder, tmp_path)
    again.setup()
    assert np.array_equal(again._context_vectors, index._context_vectors)


def test_curation_from_raw_esconv(tmp_path, settings):
    line = ("0.0 0 0 My boyfriend left me and I feel awful. EOS 1.0 1 1 [Questions] How long were you two together? "
            "What happened?")
    bad = "0.0 0 0 I'm sad. EOS 1.0 1 1 [Providing Suggestions] Tell a joke, lol, my aunt did that in 2019."
    tsv = tmp_path / "mini.tsv"
    tsv.write_text(line + "\n" + bad + "\n" + line + "\n")
    out = curate_esconv(tsv, settings.data_dir)
    assert len(out) == 1  # the duplicate and the joke/number turn are gone
    assert out[0].strategy == "Question" and out[0].context.startswith("My boyfriend")
    assert key_sentence(out[0].text, "Question") == "What happened?"


def test_details_must_fit_the_person():
    assert details_fit("How is your husband?", "my husband left")
    assert not details_fit("How is your husband?", "I lost my job")
