"""A small version of the load test (the full 20 × 10 run is `attune bench load`)."""
from evals.load_test import run_load_test


def test_concurrent_sessions_have_no_errors_and_no_crosstalk():
    result = run_load_test(sessions=4, turns=3, time_limit_s=240)
    assert result["errors"] == 0, result["error_samples"]
    assert result["crosstalk"] == 0, result["crosstalk_samples"]
    assert result["completed"] == 12


def test_the_shared_sentence_encoder_is_safe_across_threads():
    """Round 32: two sessions encoding at once, one evicting from the shared cache while the other read it, raised a
    KeyError that became a 500. The packaged MiniLM, a tiny cache and six threads reproduce it."""
    import threading

    from agent.config import Settings
    from agent.embeddings import Embedder

    encoder = Embedder(Settings().embedder(), cache_size=3)
    errors: list[str] = []

    def work(k: int) -> None:
        try:
            for i in range(60):
                vectors = encoder.encode([f"text {k} {i % 7}", f"shared {i % 5}"])
                assert vectors.shape == (2, 384)
        except Exception as error:  # noqa: BLE001 — any failure in a thread is the finding
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
