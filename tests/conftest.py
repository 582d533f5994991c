"""Fixtures shared by the tests."""
from __future__ import annotations

import pytest

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
