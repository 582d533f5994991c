"""Scale (issue 20): the batched ranking equals one scenario at a time; the limits of the
circularity measures are named with the option that lifts them."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from finflow.analysis.contagion import contagion
from finflow.analysis.propagation import impact_matrix, linear_debtrank_fixed_point
from finflow.analysis.ranking import _LinearMemo, _linear_block, systemic_ranking
from test_contagion import LGD1, lending_network


def core_periphery(n: int, core: int, seed: int, zero_equity: int = 0) -> tuple:
    """Exposures with a dense, highly leveraged core (a default there saturates the whole
    core) and a sparse, lightly leveraged periphery lending to it and borrowing from it:
    the shape on which the batched dynamics lift scenarios by known answers and reduce
    the map to the nodes outside the saturated core."""
    rng = np.random.default_rng(seed)
    A = np.zeros((n, n))
    C = np.arange(core)
    for i in C:
        for j in C:
            if i != j and rng.random() < 0.5:
                A[i, j] = rng.uniform(0.3, 1.5)
    for i in range(core, n):
        for j in rng.choice(n, 3, replace=False):
            if j != i:
                A[i, j] = rng.uniform(0.02, 0.4)
    for i in C:                                   # the core lends to the periphery
        for j in rng.choice(np.arange(core, n), 2, replace=False):
            A[i, j] = rng.uniform(0.2, 1.2)
    eq = np.ones(n)
    eq[rng.choice(np.arange(core, n), zero_equity, replace=False)] = 0.0
    return A, eq


def exact_columns(Lam, zc, J):
    return np.column_stack([linear_debtrank_fixed_point(Lam, np.eye(Lam.shape[0])[j],
                                                        zero_cap=zc).y for j in J])


@pytest.mark.parametrize("seed,zero_equity", [(0, 0), (1, 3), (2, 0)])
def test_batched_linear_debtrank_equals_exact_solver_per_scenario(seed, zero_equity):
    # Blocks as systemic_ranking runs them (a first block of 64 solved per scenario, then
    # blocks of 32 lifted by known answers and reduced to the nodes outside the saturated
    # core): every column equals the exact least fixed point of its own scenario
    # (propagation.linear_debtrank_fixed_point, one scenario at a time).
    A, eq = core_periphery(240, 20, seed, zero_equity)
    n = len(eq)
    Lam = impact_matrix(sp.csr_array(A), eq, np.ones(n, bool), capped=False)
    zc = eq == 0
    memo = _LinearMemo(n)
    stats = {"steps": 0, "solves": 0, "iterations": 0, "shared": 0}
    J = np.arange(n)
    bounds = [0, 64] + list(range(96, n, 32)) + [n]
    got = np.zeros((n, n))
    for a, b in zip(bounds[:-1], bounds[1:]):
        rel, _ = _linear_block(Lam, zc, eq, J[a:b], ">=", stats, memo)
        got[:, a:b] = rel
    want = exact_columns(Lam, zc, J)
    assert got == pytest.approx(want, abs=1e-12)
    assert memo.cache.reduced, "the reduced map was not exercised"
    assert stats["shared"] > 0


def test_ranking_equals_one_scenario_at_a_time_on_a_core_network():
    # The whole ranking table under each model against contagion() run entity by entity
    # (the definition of the ranking: each entity's default alone).
    A, eq = core_periphery(90, 10, 3, 2)
    net = lending_network(A, eq, [f"e{i}" for i in range(len(eq))])
    ids = list(net.index)
    for model in ("linear-debtrank", "debtrank", "cascade"):
        r = systemic_ranking(net, model=model, lgd=LGD1, missing_equity="zero")
        ent = r.entities.set_index("id")
        rel = []
        for j in ids:
            one = contagion(net, [j], model=model, lgd=LGD1, missing_equity="zero")
            e = one.entities.set_index("id").loc[ids]
            others = e.index != j
            assert ent.loc[j, "impact"] == pytest.approx(e["loss"][others].sum(), abs=1e-9)
            assert ent.loc[j, "defaults_caused"] == int(e["defaulted"][others].sum())
            rel.append(e["relative_loss"].to_numpy(float))
        M = np.array(rel)                   # M[j, i]: i's relative loss when j defaults
        off = ~np.eye(len(ids), dtype=bool)
        mean = np.array([M[:, i][off[:, i]].mean() for i in range(len(ids))])
        assert ent.loc[ids, "vulnerability"].to_numpy(float) == pytest.approx(mean, abs=1e-9)


def test_ranking_equals_one_scenario_at_a_time_on_the_bundled_network():
    import finflow
    net = finflow.load_default()
    for model in ("linear-debtrank", "debtrank", "cascade"):
        r = systemic_ranking(net, model=model, missing_equity="skip")
        ent = r.entities.set_index("id")
        for j in ent.index[ent["impact"].notna()]:
            one = contagion(net, [j], model=model, missing_equity="skip")
            e = one.entities.set_index("id")
            others = (e.index != j) & e["equity"].notna()
            assert ent.loc[j, "impact"] == pytest.approx(e["loss"][others].sum(), abs=1e-6)
            assert ent.loc[j, "defaults_caused"] == int(
                e["defaulted"][(e.index != j)].sum())


def test_ranking_reports_progress_per_block():
    A, eq = core_periphery(60, 6, 4)
    net = lending_network(A, eq, [f"e{i}" for i in range(len(eq))])
    seen = []
    systemic_ranking(net, model="linear-debtrank", lgd=LGD1, missing_equity="zero",
                     block_size=16, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 60) and seen[-1] == (60, 60)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cli_rank_progress_bar_only_when_asked_or_on_a_terminal():
    from click.testing import CliRunner
    from finflow.cli import main
    with_bar = CliRunner().invoke(main, ["rank", "--progress", "--limit", "3"])
    assert with_bar.exit_code == 0, with_bar.output
    assert "scenarios" in with_bar.stderr
    plain = CliRunner().invoke(main, ["rank", "--limit", "3"])   # stderr is no terminal
    assert plain.exit_code == 0 and "scenarios" not in plain.stderr
    assert plain.stdout == with_bar.stdout


def test_skipped_circularity_measures_name_the_option_that_runs_them():
    # A ring of 12 entities (one strongly connected component of 12, all on cycles) with
    # limits of 5: both measures are skipped, and the note's option, given the size it
    # names, runs them (the ring is one cycle: BFF puts all of it in C, circularity 1;
    # Finn: closed component, every entity's cycled share 1).
    import pandas as pd
    import finflow
    from finflow.analysis.circularity import circular_financing
    ids = [f"e{i}" for i in range(12)]
    net = finflow.Network.from_frames(
        pd.DataFrame({"id": ids}),
        pd.DataFrame({"payer": ids, "payee": ids[1:] + ids[:1], "kind": "purchase",
                      "amount": 5.0}))
    r = circular_financing(net, measures=["finn", "decomposition"], count_limit=0,
                           finn_max_component=5, bff_max_entities=5)
    assert r.finn is None and r.decomposition is None
    for key, option, argument in (("finn", "--finn-max", "finn_max_component"),
                                  ("decomposition", "--bff-max", "bff_max_entities")):
        lim = r.skipped_limits[key]
        assert (lim["needed"], lim["limit"], lim["option"]) == (12, 5, option)
        assert f"finflow cycles {option} 12" in r.skipped[key]
        assert any(f"{option} 12" in line for line in r.summary())
        assert r.to_dict()["skipped_limits"][key]["rerun"] == f"finflow cycles {option} 12"
        assert argument in r.skipped[key]
    again = circular_financing(net, measures=["finn", "decomposition"], count_limit=0,
                               finn_max_component=12, bff_max_entities=12)
    assert again.skipped == {} and again.decomposition.circularity == pytest.approx(1.0)
    assert (again.finn.entities["cycled_share"] == 1.0).all()
