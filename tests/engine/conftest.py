"""Engine test configuration: the conformance count (the private cache is set for the
whole session in tests/conftest.py)."""


def pytest_terminal_summary(terminalreporter):
    passed = [
        r for r in terminalreporter.stats.get("passed", []) if "test_conformance_model" in r.nodeid
    ]
    failed = [
        r for r in terminalreporter.stats.get("failed", []) if "test_conformance_model" in r.nodeid
    ]
    if passed or failed:
        terminalreporter.write_line(
            f"SD conformance suite: {len(passed)} of {len(passed) + len(failed)} models passed"
        )
