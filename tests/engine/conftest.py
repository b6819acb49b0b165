"""Engine test configuration: a private cache directory and the conformance count."""
import pytest


@pytest.fixture(autouse=True, scope="session")
def _engine_cache(tmp_path_factory):
    """Keep compiled models of the test session out of the user's cache."""
    import os
    old = os.environ.get("AIGAP_CACHE_DIR")
    os.environ["AIGAP_CACHE_DIR"] = str(tmp_path_factory.mktemp("aigap-cache"))
    yield
    if old is None:
        os.environ.pop("AIGAP_CACHE_DIR", None)
    else:
        os.environ["AIGAP_CACHE_DIR"] = old


def pytest_terminal_summary(terminalreporter):
    passed = [r for r in terminalreporter.stats.get("passed", [])
              if "test_conformance_model" in r.nodeid]
    failed = [r for r in terminalreporter.stats.get("failed", [])
              if "test_conformance_model" in r.nodeid]
    if passed or failed:
        terminalreporter.write_line(
            f"SD conformance suite: {len(passed)} of {len(passed) + len(failed)} models passed")
