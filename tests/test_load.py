"""A small version of the load test (the full 20 × 10 run is `attune bench load`)."""
from evals.load_test import run_load_test


def test_concurrent_sessions_have_no_errors_and_no_crosstalk():
    result = run_load_test(sessions=4, turns=3, time_limit_s=240)
    assert result["errors"] == 0, result["error_samples"]
    assert result["crosstalk"] == 0, result["crosstalk_samples"]
    assert result["completed"] == 12
