"""Balanced flow forwarding: worked examples and invariants."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import networkx as nx
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from finflow.analysis.decomposition import bff, circular_decomposition, stationary_distribution

from helpers import make_network


def test_worked_example_section_7_eight_fifteenths():
    # docs/worked_examples.md section 7 (DERIVED, Homs-Dones et al. 2025 method):
    # W: 1->2 = 2, 1->3 = 1, 2->3 = 1, 3->1 = 1. P rows (2/3, 1/3), (1), (1); pi = (3, 2, 3)/8;
    # c = pi_i P_ij = (1/4, 1/8, 1/4, 3/8); lambda = min(8, 8, 4, 8/3) = 8/3;
    # C = (2/3, 1/3, 2/3, 1); circularity = (8/3) / 5 = 8/15.
    w = np.array([[0, 2, 1], [0, 0, 1], [1, 0, 0]], dtype=float)
    c, d = bff(w)
    np.testing.assert_allclose(c.toarray(), [[0, 2 / 3, 1 / 3], [0, 0, 2 / 3], [1, 0, 0]])
    np.testing.assert_allclose(d.toarray(), [[0, 4 / 3, 2 / 3], [0, 0, 1 / 3], [0, 0, 0]])
    assert c.sum() / w.sum() == pytest.approx(float(Fraction(8, 15)))


def test_derrico_cycle_three_sevenths_through_the_network_api():
    # docs/worked_examples.md sections 5 and 7 (DERIVED): A->B 5, B->C 10, C->A 20.
    # The only cycle carries its minimum 5 on each edge: C = 15 of 35 = 3/7.
    net = make_network([("A", "B", "loan", 5.0), ("B", "C", "loan", 10.0),
                        ("C", "A", "loan", 20.0)])
    d = circular_decomposition(net)
    assert d.circular_volume == pytest.approx(15.0)
    assert d.circularity == pytest.approx(3 / 7)
    e = d.edges.set_index(["payer", "payee"])
    assert e.loc[("B", "C"), "directional"] == pytest.approx(5.0)
    assert e.loc[("C", "A"), "directional"] == pytest.approx(15.0)
    ent = d.entities.set_index("id")
    # A receives 20, of which 5 went round: 1/4; B receives 5, all circular
    assert ent.loc["A", "self_financed_share"] == pytest.approx(0.25)
    assert ent.loc["B", "self_financed_share"] == pytest.approx(1.0)


def test_acyclic_network_has_no_circular_part_and_missing_share_without_inflow():
    net = make_network([("a", "b", "equity", 3.0), ("b", "c", "purchase", 2.0)])
    d = circular_decomposition(net)
    assert d.circular_volume == 0.0 and d.circularity == 0.0
    ent = d.entities.set_index("id")
    assert np.isnan(ent.loc["a", "self_financed_share"])  # a has no inflow: undefined, not 0
    assert ent.loc["b", "self_financed_share"] == 0.0


def test_stationary_distribution_of_a_two_state_chain():
    # P = [[0, 1], [1/2, 1/2]]: pi = (1/3, 2/3) since pi_0 = pi_1 / 2.
    p = sp.csr_array(np.array([[0, 1], [0.5, 0.5]]))
    np.testing.assert_allclose(stationary_distribution(p), [1 / 3, 2 / 3])


@st.composite
def flow_matrices(draw):
    n = draw(st.integers(2, 7))
    cells = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                    st.integers(1, 50)), min_size=1, max_size=25))
    w = np.zeros((n, n))
    for i, j, v in cells:
        if i != j:
            w[i, j] = v
    return w


@settings(max_examples=150, deadline=None)
@given(flow_matrices())
def test_bff_invariants(w):
    c, d = bff(w)
    c, d = c.toarray(), d.toarray()
    scale = max(w.max(), 1.0)
    assert np.all(c >= -1e-9 * scale) and np.all(d >= -1e-9 * scale)
    np.testing.assert_allclose(c + d, w, atol=1e-9 * scale)
    # C is balanced: what enters each node leaves it
    np.testing.assert_allclose(c.sum(axis=0), c.sum(axis=1), atol=1e-8 * scale)
    # C and D live on w's edges only
    assert np.all(c[w == 0] == 0) and np.all(d[w == 0] == 0)
    # D is acyclic
    assert nx.is_directed_acyclic_graph(nx.DiGraph(d > 1e-9 * scale))
    # no directional flow left on a cycle means: if w is already balanced, all is circular
    if np.allclose(w.sum(axis=0), w.sum(axis=1)):
        np.testing.assert_allclose(c, w, atol=1e-8 * scale)


def test_bundled_network_decomposes(default_network):
    d = circular_decomposition(default_network)
    assert 0 < d.circularity < 1
    ent = d.entities.set_index("id")
    # openai pays oracle, oracle buys from nvidia, nvidia invests in openai: a loop
    for firm in ("openai", "oracle", "nvidia"):
        assert ent.loc[firm, "circular_inflow"] > 0
    shares = ent["self_financed_share"].dropna()
    assert ((shares >= -1e-12) & (shares <= 1 + 1e-12)).all()


def test_size_limit_is_a_clear_error_and_concentration_degrades_with_a_note():
    import finflow
    from finflow.errors import FinflowError
    net = finflow.generate(400, 4000, seed=2)
    with pytest.raises(FinflowError, match="entities lie on cycles, more than the limit of 10"):
        circular_decomposition(net, max_cycle_entities=10)
    # the same network with the limit lifted works, and matches bff on the flow matrix
    full = circular_decomposition(net, max_cycle_entities=None)
    c, _ = bff(net.flow_matrix(), max_cycle_entities=None)
    assert full.circular_volume == pytest.approx(c.sum())
    from finflow.analysis import decomposition
    old = decomposition.DEFAULT_MAX_CYCLE_ENTITIES
    try:
        decomposition.DEFAULT_MAX_CYCLE_ENTITIES = 10
        # concentration still answers, without the self-financed share, and says why
        r = finflow.concentration(net)
    finally:
        decomposition.DEFAULT_MAX_CYCLE_ENTITIES = old
    assert r.entities["self_financed_share"].isna().all()
    assert any("not computed" in n and "limit of 10" in n for n in r.notes())
