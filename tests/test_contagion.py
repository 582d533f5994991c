"""Contagion models against published and derived worked examples, invariants on random
networks, and the command line (``docs/worked_examples.md`` sections 1-4)."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finflow
from finflow.analysis.contagion import (contagion, debtrank, eisenberg_noe, linear_debtrank,
                                        threshold_cascade)
from finflow.analysis.propagation import (cascade_kernel, clearing_vector, debtrank_kernel,
                                          impact_matrix, linear_debtrank_fixed_point)
from finflow.analysis.ranking import systemic_ranking
from finflow.cli import main
from finflow.errors import FinflowError, MissingDataError

LGD1 = {k: 1.0 for k in ("loan", "bond", "credit", "purchase", "compute", "lease")}


def lending_network(A, equity, ids=None, **fields) -> finflow.Network:
    """A network whose exposure matrix (LGD 1) is ``A``: ``A[i, j]`` = what i has lent
    to j, as a loan with payer (lender) i and payee (borrower) j."""
    A = np.asarray(A, dtype=float)
    n = len(A)
    ids = ids or [chr(ord("a") + i) for i in range(n)]
    rows = [{"id": f"l{i}_{j}", "payer": ids[i], "payee": ids[j], "kind": "loan",
             "amount": A[i, j]} for i in range(n) for j in range(n) if A[i, j] > 0]
    ent = pd.DataFrame({"id": ids, "type": "other"})
    if equity is not None:
        ent["equity"] = equity
    for k, v in fields.items():
        ent[k] = v
    com = pd.DataFrame(rows, columns=["id", "payer", "payee", "kind", "amount"])
    return finflow.Network.from_frames(ent, com, name="test")


def owing_network(L, e, ids=None, **fields) -> finflow.Network:
    """A network whose obligation matrix is ``L`` (``L[i, j]`` = i owes j: a loan from
    lender j to borrower i) and whose external assets are ``e``."""
    L = np.asarray(L, dtype=float)
    n = len(L)
    ids = ids or [chr(ord("A") + i) for i in range(n)]
    return lending_network(L.T, None, ids, external_assets=e, **fields)


# ---------------------------------------------------------------------------------------
# Eisenberg-Noe: docs/worked_examples.md 1.3 (DERIVED; Kanjere 2021 notebook, Scenario 3)
# ---------------------------------------------------------------------------------------
KANJERE_L = [[0, 2, 9], [7, 0, 9], [3, 1, 0]]


def test_eisenberg_noe_kanjere_scenario3_derived():
    # DERIVED (docs/worked_examples.md 1.3): not published; computed there by the
    # fictitious-default algorithm and by Picard iteration. The notebook's claim "B
    # defaults in the first round, A in the second" is what it publishes.
    c = clearing_vector(sp.csr_array(np.array(KANJERE_L, float)), np.array([3.0, 0.0, 4.0]))
    assert c.payments == pytest.approx([1133 / 162, 184 / 81, 4.0], abs=1e-12)
    assert c.round.tolist() == [2, 1, -1]
    # the same through a network (external_assets given, so no equity is needed); a zero
    # shock on A only names a scenario
    r = eisenberg_noe(owing_network(KANJERE_L, [3.0, 0.0, 4.0]), shocks={"A": 0.0})
    pay = r.payments.set_index("id")["paid"]
    assert pay["A"] == pytest.approx(1133 / 162, abs=1e-12)
    assert pay["B"] == pytest.approx(184 / 81, abs=1e-12)
    assert pay["C"] == pytest.approx(4.0)
    ent = r.entities.set_index("id")
    # network rounds are fictitious-default round - 1: B insolvent at full payment (0), A next
    assert ent.loc["B", "round"] == 0 and ent.loc["A", "round"] == 1
    assert set(r.defaulted) == {"A", "B"}


@pytest.mark.parametrize("alpha, beta, expected", [
    (0.5, 0.5, (3.1724637681, 0.7884057971, 4.0)),
    (0.1, 0.9, (3.5853880724, 1.4866998664, 4.0)),
])
def test_rogers_veraart_on_kanjere_scenario3_derived(alpha, beta, expected):
    # DERIVED (docs/worked_examples.md 1.3, "with default costs"): same inputs, RV's GA
    c = clearing_vector(sp.csr_array(np.array(KANJERE_L, float)), np.array([3.0, 0.0, 4.0]),
                        alpha=alpha, beta=beta)
    assert c.payments == pytest.approx(expected, abs=1e-9)
    assert c.round.tolist() == [2, 1, -1]


@pytest.mark.parametrize("e, expected, defaulted", [
    ([5, 4, 5], (3, 4, 7), []),       # "no firm defaults"
    ([5, 4, 2], (3, 4, 4), ["C"]),    # "C defaults during first round, no secondary defaults"
])
def test_kanjere_other_scenarios_derived(e, expected, defaulted):
    # DERIVED (docs/worked_examples.md 1.3, other scenarios; the default claims are the
    # notebook's)
    r = eisenberg_noe(owing_network([[0, 2, 1], [3, 0, 1], [2, 5, 0]], e), shocks={"A": 0.0})
    assert r.payments["paid"].to_numpy() == pytest.approx(expected)
    assert list(r.defaulted) == defaulted


# ---------------------------------------------------------------------------------------
# Rogers-Veraart: docs/worked_examples.md 2.2, 2.3 (PUBLISHED in a secondary source:
# RV (2013) Ex. 3.3 and section 5.1 as encoded in
# ninagad/Greatest-Clearing-Vector-Algorithm test/correctnessTests.py)
# ---------------------------------------------------------------------------------------
def test_rogers_veraart_example_3_3_published():
    # RV (2013) Ex. 3.3 as encoded in ninagad/Greatest-Clearing-Vector-Algorithm
    # (docs/worked_examples.md 2.2): GCV (2, 2.2), all solvent. Income of bank 2 is
    # 1 + 2 = 3 >= 2.2; (1, 1) is not clearing because bank 1's income 2 = its
    # obligation counts as solvent under ">=".
    L = sp.csr_array(np.array([[0, 2.0], [2.2, 0]]))
    c = clearing_vector(L, np.array([1.0, 1.0]), alpha=0.5, beta=0.5)
    assert c.payments.tolist() == [2.0, 2.2]
    assert not c.insolvent.any()
    # the variant of the same test file, L[0][1] = 2.2: GCV (2.2, 2.2), although (1, 1)
    # is a second (smaller) clearing vector
    c = clearing_vector(sp.csr_array(np.array([[0, 2.2], [2.2, 0]])), np.array([1.0, 1.0]),
                        alpha=0.5, beta=0.5)
    assert c.payments.tolist() == [2.2, 2.2]
    # the same through a network
    r = eisenberg_noe(owing_network([[0, 2.0], [2.2, 0]], [1.0, 1.0]), shocks={"A": 0.0},
                      alpha=0.5, beta=0.5)
    assert r.payments["paid"].tolist() == [2.0, 2.2] and r.defaulted == ()


def test_rogers_veraart_ring_section_5_1_published():
    # RV (2013) section 5.1 ring (n = 6, a = 2, eps = 1, gamma = 0.4, alpha = beta = 1/2)
    # as encoded in ninagad/Greatest-Clearing-Vector-Algorithm (docs/worked_examples.md
    # 2.3): closed form alpha gamma / (1 - beta^2) ((1 - eps) + beta (1 + eps)) = 4/15 for
    # 0-based even banks, (beta (1 - eps) + (1 + eps)) ... = 8/15 for odd ones.
    a, eps, gamma, alpha, beta = 2.0, 1.0, 0.4, 0.5, 0.5
    L = np.zeros((6, 6))
    L[0, 1] = L[2, 3] = L[4, 5] = a
    L[1, 2] = L[3, 4] = L[5, 0] = a + eps
    e = gamma * np.array([1 - eps, 1 + eps] * 3)
    c = clearing_vector(sp.csr_array(L), e, alpha=alpha, beta=beta)
    odd = alpha * gamma / (1 - beta**2) * ((1 - eps) + beta * (1 + eps))
    even = alpha * gamma / (1 - beta**2) * (beta * (1 - eps) + (1 + eps))
    assert c.payments == pytest.approx([odd, even] * 3, abs=1e-12)
    assert c.payments == pytest.approx([4 / 15, 8 / 15] * 3, abs=1e-12)
    # rounds: banks 1, 3, 5 (0-based) insolvent first, then all
    assert c.round.tolist() == [2, 1, 2, 1, 2, 1]


def test_rogers_veraart_third_example_corrected():
    # The "randomized" 3-bank test of ninagad/Greatest-Clearing-Vector-Algorithm, with
    # the correction of docs/worked_examples.md 2.3: bank 2 receives beta * Lambda_0,
    # not beta * e_0, so Lambda = (0.23863832, 0, 0.28108217), not 0.40040133 for bank 2
    # (the test's default order, bank 0 in round 1 and bank 2 in round 2, is published).
    L = sp.csr_array(np.array([[0, 0, 0.60141038], [0, 0, 0], [0, 0.61136804, 0]]))
    e = np.array([0.47727664, 0.63927659, 0.32352602])
    c = clearing_vector(L, e, alpha=0.5, beta=0.5)
    assert c.payments == pytest.approx([0.5 * 0.47727664, 0.0,
                                        0.5 * 0.32352602 + 0.5 * 0.5 * 0.47727664], abs=1e-12)
    assert c.payments == pytest.approx([0.23863832, 0.0, 0.28108217], abs=1e-8)
    assert c.round.tolist() == [1, -1, 2]


# ---------------------------------------------------------------------------------------
# DebtRank: docs/worked_examples.md 3.1 (PUBLISHED, NetworkRiskMeasures early README,
# Cinelli 2016) and 3.2 (DERIVED, linear form of the same example)
# ---------------------------------------------------------------------------------------
NRM_A = [[0, 1, 0], [10, 0, 3], [3, 2, 0]]   # R: matrix(c(0,10,3,1,0,2,0,3,0), ncol = 3)
NRM_EQ = [2.0, 5.0, 2.0]
NRM_W = {"a": 10, "b": 100, "c": 30}


@pytest.fixture
def nrm():
    return lending_network(NRM_A, NRM_EQ)


@pytest.mark.parametrize("shocked, stress, defaults, final", [
    ("a", 0.9285714, 2, (1, 1, 1)),
    ("c", 0.6642857, 0, (0.3, 0.9, 1)),
    ("b", 0.25, 1, (0.5, 1, 1)),
])
def test_debtrank_nrm_three_banks_published(nrm, shocked, stress, defaults, final):
    # PUBLISHED: NetworkRiskMeasures early README (Cinelli 2016), `debt_rank` table:
    # a 0.9285714 / 2 additional defaults, c 0.6642857 / 0, b 0.25 / 1
    # (docs/worked_examples.md 3.1); trajectories from the same section.
    r = debtrank(nrm, [shocked], lgd=LGD1, weights=NRM_W)
    assert round(r.debtrank, 7) == pytest.approx(stress, abs=1e-12)
    assert len(r.defaulted) - 1 == defaults
    h = r.entities.set_index("id").loc[["a", "b", "c"], "relative_loss"]
    assert h.to_numpy() == pytest.approx(final, abs=1e-12)


def test_debtrank_nrm_ten_percent_shock_published(nrm):
    # PUBLISHED: NetworkRiskMeasures early README, debt_rank_shock with shock 0.1 on
    # every bank: "additional stress of 16.07%", no additional default, final stress
    # 0.15 / 0.26 / 0.30 (docs/worked_examples.md 3.1): 22.5 / 140 = 0.160714.
    r = debtrank(nrm, shocks={"a": 0.1, "b": 0.1, "c": 0.1}, lgd=LGD1, weights=NRM_W)
    assert r.debtrank == pytest.approx(22.5 / 140, abs=1e-12)
    assert f"{r.debtrank:.2%}" == "16.07%"
    assert r.defaulted == ()
    h = r.entities.set_index("id").loc[["a", "b", "c"], "relative_loss"]
    assert h.to_numpy() == pytest.approx([0.15, 0.26, 0.30], abs=1e-12)


@pytest.mark.parametrize("shocks, stress, final", [
    ({"c": 1.0}, 0.75, (0.5, 1, 1)),
    ({"a": 0.1, "b": 0.1, "c": 0.1}, 122 / 140, (0.6, 1, 1)),
    ({"a": 1.0}, 0.9285714285714286, (1, 1, 1)),
    ({"b": 1.0}, 0.25, (0.5, 1, 1)),
])
def test_linear_debtrank_nrm_three_banks_derived(nrm, shocks, stress, final):
    # DERIVED (docs/worked_examples.md 3.2): linear DebtRank (Bardoscia et al. 2015) on
    # the NetworkRiskMeasures example: c-shock 0.75 (single-hit gives 0.664), 10% shock
    # 0.8714286 = 122/140; checked there against an emulation of NRM's contagion engine.
    r = linear_debtrank(nrm, shocks=shocks, lgd=LGD1, weights=NRM_W)
    assert r.debtrank == pytest.approx(stress, abs=1e-12)
    h = r.entities.set_index("id").loc[["a", "b", "c"], "relative_loss"]
    assert h.to_numpy() == pytest.approx(final, abs=1e-12)


def test_linear_debtrank_near_spectral_radius_one_derived():
    # DERIVED (docs/worked_examples.md 3.4, our reconstruction of "stops early, off by up
    # to 14x"): Lambda = [[0, .93], [.93, 0]], shock (1e-4, 0). NRM's engine stops after
    # one step (absolute tolerance 7.4e-4 on the step) at 9.3e-5; the exact additional
    # stress 1'((I - Lambda)^-1 - I) s0 = 1e-4 * .93 / .07 = 1.3285714e-3.
    net = lending_network([[0, 0.93], [0.93, 0]], [1.0, 1.0])
    r = linear_debtrank(net, shocks={"a": 1e-4}, lgd=LGD1)
    h = r.entities["relative_loss"].sum()
    assert h - 1e-4 == pytest.approx(1e-4 * 0.93 / 0.07, rel=1e-12)
    assert round(h - 1e-4, 10) == pytest.approx(1.3285714e-3, abs=1e-10)
    # the early-stopping iteration it replaces is 14x too small
    Lam = np.array([[0, 0.93], [0.93, 0]])
    s = np.array([1e-4, 0])
    prev, cur = s, np.minimum(1, s + Lam @ s)
    while np.sqrt(((cur - prev) ** 2).sum()) >= np.finfo(float).eps ** 0.2:
        prev, cur = cur, np.minimum(1, s + Lam @ cur)
    assert (cur - s).sum() == pytest.approx(9.3e-5)
    assert (h - 1e-4) / (cur - s).sum() == pytest.approx(14.3, abs=0.05)


def test_linear_debtrank_counterexample_to_naive_saturation():
    # Hand-computed (the brief's counterexample): i exposed to j (0.95), j to k (1);
    # s = (0, 0.5, 0.6). The linear solution (1.045, 1.1, 0.6) exceeds 1 at i and j,
    # but the dynamics give j = min(1, 0.5 + 0.6) = 1 and i = 0.95 x 1 = 0.95.
    Lam = sp.csr_array(np.array([[0, 0.95, 0], [0, 0, 1.0], [0, 0, 0]]))
    fp = linear_debtrank_fixed_point(Lam, np.array([0, 0.5, 0.6]))
    assert fp.y == pytest.approx([0.95, 1.0, 0.6], abs=1e-15)


def test_threshold_cascade_nrm_example_and_rule_derived(nrm):
    # DERIVED (docs/worked_examples.md section 4, NRM "threshold" emulation; arithmetic
    # by hand): a's default hits b with 10 >= 5 and c with 3 >= 2 (round 1); b's default
    # hits c with 2 >= 2 (round 1) and a with 1 < 2; c's default hits b with 3 < 5.
    r = threshold_cascade(nrm, ["a"], lgd=LGD1)
    assert set(r.defaulted) == {"a", "b", "c"} and r.rounds == 1
    r = threshold_cascade(nrm, ["b"], lgd=LGD1)
    assert r.defaulted == ("b", "c")
    assert r.entities.set_index("id").loc["a", "relative_loss"] == pytest.approx(0.5)
    assert threshold_cascade(nrm, ["c"], lgd=LGD1).defaulted == ("c",)
    # under ">" c's loss 2 equals its equity 2 and is not a default
    assert threshold_cascade(nrm, ["b"], lgd=LGD1, default_rule=">").defaulted == ("b",)


def test_cascade_rounds_by_hand():
    # Hand-computed chain: d defaults; c lent d 3 (equity 2: 3 >= 2, round 1); b lent c 5
    # (equity 4, round 2); a lent b 1 (equity 10: 1 < 10, survives with loss 1).
    net = lending_network([[0, 1, 0, 0], [0, 0, 5, 0], [0, 0, 0, 3], [0, 0, 0, 0]],
                          [10.0, 4.0, 2.0, 1.0])
    r = threshold_cascade(net, ["d"], lgd=LGD1)
    ent = r.entities.set_index("id")
    assert ent.loc[["d", "c", "b"], "round"].tolist() == [0, 1, 2]
    assert ent.loc["a", "loss"] == 1.0 and not ent.loc["a", "defaulted"]
    # losses are capped at equity: c loses 2 (not 3), b 4 (not 5); total = 1 + 4 + 2 + 1
    assert ent.loc["c", "loss"] == 2.0 and ent.loc["b", "loss"] == 4.0
    assert r.total_loss == 8.0 and r.rounds == 2
    assert r.defaults_by_round()["entities"].tolist() == ["d", "c", "b"]


# ---------------------------------------------------------------------------------------
# shocks, equity rules, scenario
# ---------------------------------------------------------------------------------------
def test_shock_errors_name_the_problem(nrm):
    with pytest.raises(FinflowError, match="ghost, nobody"):
        debtrank(nrm, ["ghost"], shocks=["nobody=0.5"])
    with pytest.raises(FinflowError, match="outside"):
        debtrank(nrm, shocks=["a=1.5"])
    with pytest.raises(FinflowError, match="not a number"):
        debtrank(nrm, shocks=["a=lots"])
    with pytest.raises(FinflowError, match="no shock"):
        debtrank(nrm)
    with pytest.raises(FinflowError, match="unknown model"):
        contagion(nrm, ["a"], model="magic")


def test_missing_equity_rules():
    net = lending_network([[0, 4, 0], [0, 0, 1], [0, 0, 0]], [1.0, np.nan, np.nan])
    # "error" names every entity lacking equity and says what to pass
    with pytest.raises(MissingDataError) as err:
        threshold_cascade(net, ["a"])
    assert err.value.entities == ["b", "c"] and "--missing-equity skip" in str(err.value)
    # an entity defaulted by the shock needs no equity
    with pytest.raises(MissingDataError) as err:
        threshold_cascade(net, ["c"])
    assert err.value.entities == ["b"]
    # skip: b is treated as external (never defaults, does not propagate), and listed
    r = threshold_cascade(net, ["c"], missing_equity="skip", lgd=LGD1)
    assert r.skipped == ("b",) and r.defaulted == ("c",)
    assert r.entities.set_index("id").loc["b", "loss"] == 1.0       # amount shown
    # zero: b has no buffer, so its loss of 1 defaults it, and a (4 >= 1) follows
    r = threshold_cascade(net, ["c"], missing_equity="zero", lgd=LGD1)
    assert r.defaulted == ("c", "b", "a") and r.zeroed == ("b",)
    for model in ("debtrank", "linear-debtrank"):
        r = contagion(net, ["c"], model=model, missing_equity="zero", lgd=LGD1)
        assert set(r.defaulted) == {"a", "b", "c"}
    # the network's metadata supplies the default rule
    net.metadata["missing_equity"] = "skip"
    assert threshold_cascade(net, ["c"]).skipped == ("b",)


def test_market_entities_are_external():
    ent = pd.DataFrame({"id": ["a", "m"], "type": ["other", "market"], "equity": [1.0, None]})
    com = pd.DataFrame({"payer": ["m"], "payee": ["a"], "kind": ["bond"], "amount": [5.0]})
    net = finflow.Network.from_frames(ent, com)
    r = threshold_cascade(net, ["a"])            # no error: market needs no equity
    m = r.entities.set_index("id").loc["m"]
    assert not m["defaulted"] and pd.isna(m["relative_loss"]) and m["loss"] == 3.0
    assert r.external_loss == 3.0 and r.total_loss == 1.0
    with pytest.raises(FinflowError, match="market"):
        threshold_cascade(net, ["m"])


def test_cancel_nonbinding_scenario():
    # a (equity 10) has an loi to sell b 8 of chips (purchase LGD 0.5: a loses 4, 40%);
    # c (equity 1) lent a 2 (loan LGD 0.45: 0.9); d reported a compute deal with a.
    ent = pd.DataFrame({"id": ["a", "b", "c", "d"], "equity": [10.0, 5.0, 1.0, 3.0]})
    com = pd.DataFrame({"id": ["p", "l", "r"], "payer": ["b", "c", "a"], "payee": ["a", "a", "d"],
                        "kind": ["purchase", "loan", "compute"], "amount": [8.0, 2.0, 12.0],
                        "status": ["loi", "closed", "reported"]})
    net = finflow.Network.from_frames(ent, com)
    r = threshold_cascade(net, cancel_nonbinding=True)
    lost = r.cancelled.set_index("holder")["lost"]
    assert lost["a"] == 4.0 and lost["d"] == 6.0          # 8 x 0.5 and 12 x 0.5
    ent_r = r.entities.set_index("id")
    assert ent_r.loc["a", "shock"] == pytest.approx(0.4)
    assert ent_r.loc["d", "defaulted"] and ent_r.loc["d", "round"] == 0   # 6 >= 3
    assert r.conventions["statuses"] == ["closed", "committed"]
    # a did not default, so c's loan is untouched
    assert not ent_r.loc["c", "defaulted"]
    # with an extra 0.6 shock on a it defaults (0.4 + 0.6) and c follows (0.9 < 1: no)
    r = threshold_cascade(net, shocks={"a": 0.6}, cancel_nonbinding=True, lgd={"loan": 1.0})
    assert r.defaulted == ("a", "d", "c")
    assert any("Cancelled non-binding claims cost" in s for s in r.summary())


# ---------------------------------------------------------------------------------------
# invariants on random small networks
# ---------------------------------------------------------------------------------------
@st.composite
def random_network(draw, max_n=6):
    n = draw(st.integers(2, max_n))
    A = np.zeros((n, n))
    cells = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                    st.floats(0.1, 10.0)), max_size=3 * n))
    for i, j, x in cells:
        if i != j:
            A[i, j] = x
    # equity is zero or a real amount (a subnormal 5e-324 halves to 0 and is no money)
    eq = np.array(draw(st.lists(st.just(0.0) | st.floats(1e-6, 8.0), min_size=n, max_size=n)))
    shock_to = draw(st.integers(0, n - 1))
    frac = draw(st.sampled_from([1.0, 0.5, 0.05]))
    return A, eq, shock_to, frac


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(random_network())
def test_invariants_losses_bounded_and_models_agree(case):
    A, eq, j, frac = case
    net = lending_network(A, eq)
    ids = list(net.index)
    shock = {ids[j]: frac}
    res = {m: contagion(net, shocks=shock, model=m, lgd=LGD1, missing_equity="zero")
           for m in ("cascade", "debtrank", "linear-debtrank")}
    for m, r in res.items():
        ent = r.entities.set_index("id").loc[ids]
        loss = ent["loss"].to_numpy(dtype=float)
        # no loss exceeds equity nor the shock plus the exposure behind it
        assert np.all(loss <= eq + 1e-9), m
        assert np.all(loss <= ent["shock"].to_numpy(float) * eq + A.sum(axis=1) + 1e-9), m
        assert np.all((ent["relative_loss"] >= 0) & (ent["relative_loss"] <= 1))
    h_orig = res["debtrank"].entities.set_index("id").loc[ids, "relative_loss"].to_numpy(float)
    h_lin = res["linear-debtrank"].entities.set_index("id").loc[ids, "relative_loss"].to_numpy(float)
    # linear DebtRank propagates every increment: never below the single-hit form
    assert np.all(h_lin >= h_orig - 1e-12)
    # an exposure of at least equity to a defaulted entity defaults under every model.
    # Single-hit DebtRank passes distress on once, so an entity that reaches h = 1 after
    # it has propagated passes nothing more: there the rule holds for the shocked default.
    for m, r in res.items():
        ent = r.entities.set_index("id").loc[ids]
        d = ent["defaulted"].to_numpy(bool)
        src = d if m != "debtrank" else (ent["round"] == 0).fillna(False).to_numpy(bool)
        must = (A[:, src] >= eq[:, None] - 1e-12).any(axis=1) & (A[:, src] > 0).any(axis=1)
        assert np.all(d[must]), m
    # the cascade's defaults are defaults under linear DebtRank too (h reaches 1 there)
    d_c = res["cascade"].entities.set_index("id").loc[ids, "defaulted"].to_numpy(bool)
    d_l = res["linear-debtrank"].entities.set_index("id").loc[ids, "defaulted"].to_numpy(bool)
    assert np.all(d_l[d_c])


@SETTINGS
@given(random_network())
def test_invariants_losses_never_fall(case):
    A, eq, j, frac = case
    E = sp.csr_array(A)
    n = len(eq)
    base = np.zeros(n)
    base[j] = frac * eq[j]
    forced = np.zeros(n, dtype=bool)
    forced[j] = frac >= 1
    *_, path = cascade_kernel(E, eq, base, forced, path=True)
    assert all(np.all(b >= a) for a, b in zip(path, path[1:]))
    W = impact_matrix(E, eq, np.ones(n, bool), capped=True)
    s = np.where(forced, 1.0, base / np.where(eq > 0, eq, 1))
    *_, hpath = debtrank_kernel(W, s, forced, path=True)
    assert all(np.all(b >= a) for a, b in zip(hpath, hpath[1:]))


@SETTINGS
@given(random_network(), st.floats(0.2, 1.5))
def test_exact_linear_debtrank_equals_long_iteration(case, scale):
    A, eq, j, frac = case
    eq = eq + 0.5
    Lam = A / eq[:, None] * scale
    s = np.zeros(len(eq))
    s[j] = frac
    y = np.zeros_like(s)
    for _ in range(200_000):      # the plain dynamics (Picard from 0) until it stops moving
        nxt = np.minimum(1.0, s + Lam @ y)
        if np.max(np.abs(nxt - y)) < 1e-16:
            break
        y = nxt
    else:
        return                       # did not converge: nothing to compare
    fp = linear_debtrank_fixed_point(sp.csr_array(Lam), s)
    assert fp.y == pytest.approx(nxt, abs=1e-12)


@st.composite
def random_clearing(draw):
    n = draw(st.integers(1, 6))
    L = np.zeros((n, n))
    for i, k, x in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                           st.floats(0.1, 10.0)), max_size=3 * n)):
        if i != k:
            L[i, k] = x
    e = np.array(draw(st.lists(st.floats(0.0, 6.0), min_size=n, max_size=n)))
    b = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 1.0, 4.0]), min_size=n, max_size=n)))
    alpha = draw(st.sampled_from([1.0, 0.5, 0.0]))
    beta = draw(st.sampled_from([1.0, 0.9, 0.5]))
    return L, e, b, alpha, beta


@SETTINGS
@given(random_clearing())
def test_invariants_clearing(case):
    L, e, b, alpha, beta = case
    c = clearing_vector(sp.csr_array(L), e, outside=b, alpha=alpha, beta=beta)
    p, pbar = c.payments, c.obligations
    assert np.all(p >= -1e-12) and np.all(p <= pbar + 1e-12)
    # money is conserved: everything paid is received inside or paid outside
    assert p.sum() == pytest.approx(c.received.sum() + c.paid_outside.sum(), abs=1e-9)
    # p is a fixed point of the clearing rule
    Pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    income = e + Pi.T @ p
    rule = np.where(income >= pbar - 1e-9, pbar, alpha * e + beta * (Pi.T @ p))
    assert p == pytest.approx(np.minimum(pbar, rule), abs=1e-9)
    # and the greatest one: Picard iteration from pbar (decreasing) ends at the same p
    q = pbar.copy()
    for _ in range(5000):
        inc = e + Pi.T @ q
        q = np.where(inc >= pbar, pbar, np.minimum(pbar, alpha * e + beta * (Pi.T @ q)))
    assert p == pytest.approx(q, abs=1e-6)


@SETTINGS
@given(random_network(), st.floats(0.0, 3.0))
def test_invariants_eisenberg_noe_network(case, extra):
    A, eq, j, frac = case
    net = lending_network(A, eq, debt=A.T.sum(axis=1) + extra)
    r = eisenberg_noe(net, shocks={net.index[j]: frac}, missing_equity="zero")
    pay = r.payments
    assert np.all(pay["paid"] <= pay["due"] + 1e-12) and np.all(pay["paid"] >= 0)
    assert pay["paid"].sum() == pytest.approx(pay["received"].sum() + pay["paid_outside"].sum(),
                                              abs=1e-9)
    ent = r.entities.set_index("id").loc[list(net.index)]
    assert np.all(ent["loss"].to_numpy(float) <= eq + 1e-9)
    # the shocked entity loses at least its shock (a fraction of zero equity is nothing)
    if eq[j] > 0:
        assert ent.iloc[j]["relative_loss"] >= frac - 1e-9
    # an entity nobody owes anything to loses only its own shock
    owed = A.sum(axis=1) > 0          # A[i, k]: i lent k, so k owes i
    quiet = ~owed & (np.arange(len(eq)) != j)
    assert np.all(ent["loss"].to_numpy(float)[quiet] == 0)


# ---------------------------------------------------------------------------------------
# the bundled network and the command line
# ---------------------------------------------------------------------------------------
def test_bundled_network_default_openai(default_network):
    r = contagion(default_network, ["openai"], model="all")
    assert list(r.results) == ["cascade", "debtrank", "linear-debtrank", "eisenberg-noe"]
    for m, res in r.results.items():
        assert "openai" in res.defaulted and res.conventions["model"] == m
        # since the 2026-12 audit the labs carry estimated equity and the fund managers are
        # external holders (format v2): they are neither skipped nor ever defaulted
        assert "anthropic" not in res.skipped and "blue_owl" not in res.skipped
        assert "blue_owl" not in res.defaulted
    # the table names each model's relative loss and default flag per entity
    assert {"cascade_rel", "linear_default", "en_rel"} <= set(r.table.columns)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_contagion_json_single_model(runner):
    out = runner.invoke(main, ["contagion", "--default", "openai", "--model", "eisenberg-noe",
                               "-f", "json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["model"] == "eisenberg-noe"
    for key in ("entities", "equity_lost", "loss_equity_unknown", "loss_external",
                "defaulted", "rounds", "payments", "conventions"):
        assert key in data
    e0 = data["entities"][0]
    assert {"id", "equity", "loss", "relative_loss", "defaulted", "round"} <= set(e0)
    assert data["defaulted"][0] == "openai"
    assert data["conventions"]["missing_equity"] == "skip"
    # the total is the sum of the entities' losses that carry equity
    assert data["equity_lost"] == pytest.approx(sum(e["loss"] for e in data["entities"]
                                                   if e["equity"] is not None))


def test_cli_contagion_all_table_and_json(runner):
    out = runner.invoke(main, ["contagion", "--default", "openai", "--model", "all"])
    assert out.exit_code == 0, out.output
    for word in ("cascade_rel", "linear_default", "en_rel", "Totals by model", "Equity unknown"):
        assert word in out.output
    data = json.loads(runner.invoke(main, ["contagion", "--default", "openai", "-f",
                                           "json"]).output)
    assert data["model"] == "all" and set(data["results"]) == set(data["models"])
    for m, res in data["results"].items():
        assert res["model"] == m and "openai" in res["defaulted"]


def test_cli_contagion_errors_exit_2(runner, tmp_path):
    for args, want in ((["contagion", "--default", "ghost"], "ghost"),
                       (["contagion", "--shock", "oracle=2"], "outside [0, 1]"),
                       (["contagion", "--default", "bond_market"], "market"),
                       (["contagion"], "no shock"),
                       (["contagion", "--default", "openai", "--lgd", "loan=3"], "outside")):
        res = runner.invoke(main, args)
        assert res.exit_code == 2, (args, res.output)
        assert want in res.output and "Traceback" not in res.output
    folder = tmp_path / "net"
    folder.mkdir()
    (folder / "entities.csv").write_text("id,equity\na,1\nb,\nc,\n")
    (folder / "commitments.csv").write_text("id,payer,payee,kind,amount\n1,b,a,loan,5\n")
    res = runner.invoke(main, ["contagion", str(folder), "--default", "a"])
    assert res.exit_code == 2 and "b, c" in res.output and "--missing-equity" in res.output
    res = runner.invoke(main, ["contagion", str(folder), "--default", "a", "--missing-equity",
                               "zero", "-m", "cascade", "-f", "json"])
    assert res.exit_code == 0 and json.loads(res.output)["defaulted"] == ["a", "b"]


def test_cli_cancel_nonbinding_says_who_lost(runner):
    res = runner.invoke(main, ["contagion", "--cancel-nonbinding", "-m", "cascade", "-f",
                               "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["cancelled"] and {"holder", "commitment", "lost"} <= set(data["cancelled"][0])
    assert "loi" not in data["conventions"]["statuses"]
    assert data["conventions"]["cancelled_statuses"] == ["loi", "reported"]
