"""Systemic ranking: the batched scenarios agree with one-at-a-time contagion runs."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finflow.analysis.contagion import contagion
from finflow.analysis.ranking import systemic_ranking
from finflow.cli import main
from test_contagion import LGD1, lending_network


@st.composite
def small_network(draw):
    n = draw(st.integers(2, 6))
    A = np.zeros((n, n))
    for i, j, x in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                           st.floats(0.1, 10.0)), max_size=3 * n)):
        if i != j:
            A[i, j] = x
    eq = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0, 9.0]),
                                min_size=n, max_size=n)))
    return A, eq


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_network(), st.sampled_from(["cascade", "debtrank", "linear-debtrank",
                                         "eisenberg-noe"]), st.integers(1, 4))
def test_ranking_matches_one_scenario_at_a_time(case, model, block):
    A, eq = case
    net = lending_network(A, eq)
    ids = list(net.index)
    r = systemic_ranking(net, model=model, lgd=LGD1, missing_equity="zero", block_size=block)
    ent = r.entities.set_index("id")
    rel = {}
    for j in ids:
        one = contagion(net, [j], model=model, lgd=LGD1, missing_equity="zero")
        e = one.entities.set_index("id").loc[ids]
        others = e.index != j
        assert ent.loc[j, "impact"] == pytest.approx(e["loss"][others].sum(), abs=1e-9)
        assert ent.loc[j, "defaults_caused"] == int(e["defaulted"][others].sum())
        w = eq / eq.sum() if eq.sum() > 0 else np.zeros(len(eq))
        assert ent.loc[j, "debtrank"] == pytest.approx(
            float(np.sum(w[others] * e["relative_loss"][others])), abs=1e-9)
        rel[j] = e["relative_loss"].to_numpy(float)
    M = np.array([rel[j] for j in ids])          # M[j, i]: i's relative loss when j defaults
    for k, i in enumerate(ids):
        mean = np.mean([M[j, k] for j in range(len(ids)) if j != k])
        assert ent.loc[i, "vulnerability"] == pytest.approx(mean, abs=1e-9)
    # ranks: 1 = largest impact
    top = r.entities.iloc[0]
    assert top["impact_rank"] == 1 and top["impact"] == r.entities["impact"].max()


def test_ranking_by_hand():
    # Hand-computed chain: c's default takes b (2 >= 2? b lent c 2, equity 2: yes) and
    # then a (a lent b 5 >= 1). Impact of c = 2 + 1 = 3 (losses capped at equity).
    net = lending_network([[0, 5, 0], [0, 0, 2], [0, 0, 0]], [1.0, 2.0, 4.0])
    r = systemic_ranking(net, model="cascade", lgd=LGD1)
    ent = r.entities.set_index("id")
    assert ent.loc["c", "impact"] == 3.0 and ent.loc["c", "defaults_caused"] == 2
    assert ent.loc["b", "impact"] == 1.0 and ent.loc["a", "impact"] == 0.0
    assert r.entities["id"].tolist() == ["c", "b", "a"]
    # a is hit fully by b's and c's defaults: vulnerability 1; worst shock: b (first max)
    assert ent.loc["a", "vulnerability"] == 1.0 and ent.loc["c", "vulnerability"] == 0.0


def test_cli_rank_json():
    out = CliRunner().invoke(main, ["rank", "-f", "json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["model"] == "linear-debtrank"
    first = data["entities"][0]
    assert {"id", "impact", "impact_rank", "vulnerability", "defaults_caused"} <= set(first)
    assert first["id"] == "openai" and first["impact_rank"] == 1
    impacts = [e["impact"] for e in data["entities"] if e["impact"] is not None]
    assert impacts == sorted(impacts, reverse=True)
    # market entities are not shocked
    assert all(e["impact"] is None for e in data["entities"] if e["type"] == "market")
    for model in ("cascade", "debtrank", "eisenberg-noe"):
        res = CliRunner().invoke(main, ["rank", "-m", model, "-f", "json"])
        assert res.exit_code == 0 and json.loads(res.output)["model"] == model


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_network(), st.floats(0.5, 3.0), st.integers(0, 3))
def test_linear_ranking_exact_stage_and_shared_answers(case, scale, steps):
    # The exact stage of the batched linear DebtRank (after 0-3 batched steps), then a second
    # pass in reverse order that reuses the memo of answers (lifted lower bounds, shared
    # saturated sets): both must equal the exact solver run scenario by scenario.
    import scipy.sparse as sp
    from finflow.analysis.propagation import impact_matrix, linear_debtrank_fixed_point
    from finflow.analysis.ranking import _LinearMemo, _linear_block
    A, eq = case
    n = len(eq)
    E = sp.csr_array(A * scale)
    Lam = impact_matrix(E, eq, np.ones(n, bool), capped=False)
    zc = eq == 0
    want = np.column_stack([linear_debtrank_fixed_point(Lam, np.eye(n)[j], zero_cap=zc).y
                            for j in range(n)])
    memo = _LinearMemo(n)
    stats = {"steps": 0, "solves": 0, "iterations": 0, "shared": 0}
    J = np.arange(n)
    rel, _ = _linear_block(Lam, zc, eq, J, ">=", stats, memo, max_steps=steps)
    assert rel == pytest.approx(want, abs=1e-12)
    rel, _ = _linear_block(Lam, zc, eq, J[::-1], ">=", stats, memo, max_steps=steps)
    assert rel == pytest.approx(want[:, ::-1], abs=1e-12)
