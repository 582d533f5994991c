"""Fixtures shared by the tests."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed (HYPOTHESIS_PROFILE=ci in .ci/run), so a
# green run is reproducible; locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

import finflow
from helpers import make_network


@pytest.fixture
def triangle() -> finflow.Network:
    """a -> b -> c -> a, amounts 5, 3, 4 (a 3-cycle with bottleneck 3)."""
    return make_network([("a", "b", "equity", 5.0), ("b", "c", "purchase", 3.0),
                         ("c", "a", "compute", 4.0)],
                        equity={"a": 10.0, "b": 2.0, "c": 1.0})


@pytest.fixture(scope="session")
def default_network() -> finflow.Network:
    return finflow.load_default()


@pytest.fixture(scope="module")
def browser():
    """A launched headless Chromium for a test module (tests/browser.py: skipped when
    absent, a failure when FINFLOW_REQUIRE_BROWSER=1), closed after the module."""
    from browser import launch
    pw, b = launch()
    yield b
    b.close()
    pw.stop()
