"""Cycles of the flow graph: counts on complete digraphs (closed formula), brute force on
random small graphs (hypothesis), the heaviest cycles without enumeration, each entity's
heaviest cycle, round-trip labels, and the well-known loops of the bundled network."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from finflow.analysis.cycles import (count_cycles, entity_heaviest_cycles, find_cycles,
                                     heaviest_cycles, round_trip_entities)
from finflow.cli import main
from finflow.errors import FinflowError

from helpers import make_network


# ---------------------------------------------------------------------------------------
# complete digraphs: sum over k = 2..L of C(n, k) (k - 1)! simple cycles
# ---------------------------------------------------------------------------------------
def complete(n: int, amount: float = 1.0):
    ids = [f"n{i}" for i in range(n)]
    return make_network([(a, b, "other", amount) for a, b in itertools.permutations(ids, 2)])


def formula(n: int, bound: int | None = None) -> int:
    top = n if bound is None else min(bound, n)
    return sum(math.comb(n, k) * math.factorial(k - 1) for k in range(2, top + 1))


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_complete_digraph_counts(n):
    # n = 4: C(4,2)*1 + C(4,3)*2 + C(4,4)*6 = 6 + 8 + 6 = 20
    # n = 6: 15 + 40 + 90 + 144 + 120 = 409
    net = complete(n)
    assert count_cycles(net) == (formula(n), False)
    assert find_cycles(net).count == formula(n)
    for bound in range(1, n + 1):
        # bound 1: no cycle (no self-loops); bound 3 on n = 5: 10 + 10*2 = 30
        assert count_cycles(net, max_length=bound) == (formula(n, bound), False)
        res = find_cycles(net, max_length=bound)
        assert res.count == formula(n, bound)
        assert all(c.length <= bound for c in res.cycles)


def test_complete_digraph_lengths_by_size():
    # K_5 has C(5,k) (k-1)! cycles of each length k: 10, 20, 30, 24
    res = find_cycles(complete(5))
    lengths = [c.length for c in res.cycles]
    assert {k: lengths.count(k) for k in range(2, 6)} == {2: 10, 3: 20, 4: 30, 5: 24}
    # every cycle once: no two share the same (rotated) node sequence
    assert len({c.nodes for c in res.cycles}) == res.count


def test_limit_truncates_and_says_so():
    net = complete(6)                                       # 409 cycles
    count, truncated = count_cycles(net, limit=100)
    assert (count, truncated) == (100, True)
    res = find_cycles(net, limit=50)
    assert res.truncated and res.count == 50 and len(res.cycles) == 50
    assert "lower bound" in res.summary()[0]
    # exactly at the total: not truncated
    assert count_cycles(net, limit=409) == (409, False)
    assert count_cycles(net, limit=408) == (408, True)
    # bounded count with a limit
    assert count_cycles(net, max_length=3, limit=10) == (10, True)
    # the circuit-rank shortcut: K_7 has 42 - 7 + 1 = 36 independent cycles > 30
    assert count_cycles(complete(7), limit=30) == (30, True)


# ---------------------------------------------------------------------------------------
# brute force on random small graphs
# ---------------------------------------------------------------------------------------
def brute_cycles(w: np.ndarray) -> dict[tuple[int, ...], float]:
    """Every simple cycle as (smallest node first) -> bottleneck, by trying every
    ordered subset: independent of finflow's search."""
    n = w.shape[0]
    out = {}
    for k in range(2, n + 1):
        for perm in itertools.permutations(range(n), k):
            if perm[0] != min(perm):
                continue
            amounts = [w[perm[i], perm[(i + 1) % k]] for i in range(k)]
            if all(a > 0 for a in amounts):
                out[perm] = min(amounts)
    return out


@st.composite
def small_graphs(draw, max_n=6):
    n = draw(st.integers(2, max_n))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    # few distinct amounts so that ties happen
    amounts = draw(st.lists(st.sampled_from([1.0, 2.0, 3.0, 5.0, 8.0]),
                            min_size=len(chosen), max_size=len(chosen)))
    w = np.zeros((n, n))
    for (i, j), a in zip(chosen, amounts):
        w[i, j] = a
    return w


def as_network(w: np.ndarray):
    n = w.shape[0]
    edges = [(f"v{i}", f"v{j}", "other", float(w[i, j]))
             for i in range(n) for j in range(n) if w[i, j] > 0]
    return make_network(edges, equity={f"v{i}": 1.0 for i in range(n)})


def to_idx(nodes):
    return tuple(int(x[1:]) for x in nodes)


@settings(max_examples=60, deadline=None)
@given(small_graphs(), st.one_of(st.none(), st.integers(2, 5)))
def test_enumeration_equals_brute_force(w, bound):
    truth = brute_cycles(w)
    if bound is not None:
        truth = {c: b for c, b in truth.items() if len(c) <= bound}
    res = find_cycles(as_network(w), max_length=bound, limit=None)
    # ids v0..v5 sort like their indices, so the smallest-id rotation is the same
    found = {to_idx(c.nodes): c.bottleneck for c in res.cycles}
    assert found == truth
    assert count_cycles(as_network(w), max_length=bound, limit=None) == (len(truth), False)
    # ordered by bottleneck, then total
    keys = [(-c.bottleneck, -c.total) for c in res.cycles]
    assert keys == sorted(keys)


@settings(max_examples=60, deadline=None)
@given(small_graphs(), st.integers(1, 12), st.one_of(st.none(), st.integers(2, 4)))
def test_heaviest_cycles_equal_brute_force_top_k(w, k, bound):
    truth = brute_cycles(w)
    if bound is not None:
        truth = {c: b for c, b in truth.items() if len(c) <= bound}
    want = sorted(truth.values(), reverse=True)[:k]
    res = heaviest_cycles(as_network(w), top=k, max_length=bound)
    assert [c.bottleneck for c in res.cycles] == want
    for c in res.cycles:          # each listed cycle is a real, distinct cycle
        assert truth[to_idx(c.nodes)] == c.bottleneck
    assert len({c.nodes for c in res.cycles}) == len(res.cycles)


@settings(max_examples=60, deadline=None)
@given(small_graphs())
def test_entity_heaviest_cycle_equals_brute_force(w):
    truth = brute_cycles(w)
    frame = entity_heaviest_cycles(as_network(w)).set_index("id")
    for v in range(w.shape[0]):
        through = [b for c, b in truth.items() if v in c]
        row = frame.loc[f"v{v}"]
        if not through:
            assert np.isnan(row["heaviest_cycle_bottleneck"])
            assert row["heaviest_cycle"] is None
            continue
        assert row["heaviest_cycle_bottleneck"] == max(through)
        cyc = to_idx(row["heaviest_cycle"])
        assert v in cyc and truth[cyc] == max(through)


def test_min_amount_drops_small_pairs(triangle):
    # a -> b 5, b -> c 3, c -> a 4: one cycle of bottleneck 3; dropping pairs below 3.5
    # removes b -> c and with it the cycle
    assert [c.bottleneck for c in find_cycles(triangle).cycles] == [3.0]
    assert find_cycles(triangle, min_amount=3.5).count == 0
    assert find_cycles(triangle, min_amount=3.0).count == 1
    assert heaviest_cycles(triangle, min_amount=3.5).cycles == ()


def test_parallel_commitments_are_summed_per_pair():
    # a -> b carries 2 (equity) + 3 (loan) = 5; b -> a 4: bottleneck 4, total 9
    net = make_network([("a", "b", "equity", 2.0), ("a", "b", "loan", 3.0),
                        ("b", "a", "purchase", 4.0)])
    (c,) = find_cycles(net).cycles
    assert (c.bottleneck, c.total, c.length) == (4.0, 9.0, 2)
    assert c.edges[0]["kinds"] == ["equity", "loan"]
    assert sorted(c.edges[0]["commitments"]) == ["e1", "e2"]
    assert c.round_trip == "vendor financing: a"


def test_round_trip_rule():
    # out of x: financing, into x: product -> x round-trips
    assert round_trip_entities(["x", "y"], [["loan"], ["lease"]]) == ("x",)
    # into x is a loan too: no product comes back
    assert round_trip_entities(["x", "y"], [["loan"], ["loan"]]) == ()
    # a pair with several kinds counts if any is financing / product
    assert round_trip_entities(["x", "y", "z"],
                               [["other", "warrant"], ["other"], ["compute", "other"]]) == ("x",)
    # both members of a two-way swap of equity for purchases
    assert round_trip_entities(["x", "y"], [["equity", "purchase"], ["purchase", "credit"]]) \
        == ("x", "y")


def test_cycles_start_at_smallest_id():
    net = make_network([("zed", "amy", "other", 1.0), ("amy", "max", "other", 1.0),
                        ("max", "zed", "other", 1.0)])
    (c,) = find_cycles(net).cycles
    assert c.nodes == ("amy", "max", "zed")
    assert [(e["payer"], e["payee"]) for e in c.edges] == [("amy", "max"), ("max", "zed"),
                                                          ("zed", "amy")]


def test_bad_parameters_raise(triangle):
    for kwargs in ({"max_length": 0}, {"max_length": 2.5}, {"min_amount": -1.0},
                   {"limit": -3}, {"status": "signed"}, {"kinds": "swap"}):
        with pytest.raises(FinflowError):
            find_cycles(triangle, **kwargs)
    with pytest.raises(FinflowError):
        heaviest_cycles(triangle, top=-1)


# ---------------------------------------------------------------------------------------
# the bundled network: the well-known loops with their bottlenecks
# ---------------------------------------------------------------------------------------
def cycle_of(res, *members):
    for c in res.cycles:
        if set(c.nodes) == set(members) and c.length == len(members):
            return c
    return None


def test_bundled_well_known_loops(default_network):
    res = find_cycles(default_network)
    assert not res.truncated
    # commitments.csv c02 nvidia -> openai equity 30 (closed), c04 openai -> oracle
    # compute 300 (committed), c05 oracle -> nvidia purchase 40 (reported): bottleneck 30
    c = cycle_of(res, "nvidia", "openai", "oracle")
    assert c.nodes == ("nvidia", "openai", "oracle")
    assert c.amounts == (30.0, 300.0, 40.0) and c.bottleneck == 30.0 and c.total == 370.0
    assert c.round_trip == "vendor financing: nvidia"
    assert [e["commitments"] for e in c.edges] == [["c02"], ["c04"], ["c05"]]
    # c38 nvidia -> coreweave equity 2.35 + c39 backstop 6.30 = 8.65; c44 coreweave ->
    # nvidia purchase 10.3: bottleneck 8.65
    c = cycle_of(res, "nvidia", "coreweave")
    assert c.bottleneck == pytest.approx(8.65) and c.total == pytest.approx(18.95)
    assert c.round_trip == "vendor financing: nvidia"
    # c31 amd -> openai warrant 26, c32 openai -> amd purchase 90: bottleneck 26
    c = cycle_of(res, "amd", "openai")
    assert (c.bottleneck, c.total) == (26.0, 116.0)
    assert c.round_trip == "vendor financing: amd"
    # the heaviest: amazon -> openai equity 15 (c24) + 35 (c93, loi) = 50 against
    # openai -> amazon compute 38 + 100 (c26, c27)
    top = heaviest_cycles(default_network, top=1).cycles[0]
    assert top.nodes == ("amazon", "openai") and top.bottleneck == 50.0


def test_bundled_heaviest_agree_with_enumeration(default_network):
    every = sorted((c.bottleneck for c in find_cycles(default_network).cycles), reverse=True)
    for k in (1, 5, 10, len(every), len(every) + 5):
        got = [c.bottleneck for c in heaviest_cycles(default_network, top=k).cycles]
        assert got == every[:k]


def test_filters_change_the_graph(default_network):
    # without non-binding statuses c70 (reported) goes, and with it alphabet-anthropic
    # (c69 has no amount); nvidia-openai-oracle survives since the 2026-12 audit made c05
    # committed
    firm = find_cycles(default_network, status="closed,committed")
    assert cycle_of(firm, "alphabet", "anthropic") is None
    assert cycle_of(firm, "nvidia", "openai", "oracle") is not None
    # amazon -> openai is then c24 alone (15): bottleneck 15 instead of 50
    assert cycle_of(firm, "amazon", "openai").bottleneck == 15.0
    # without warrants the amd loop goes (c31 is the only amd -> openai commitment)
    assert cycle_of(find_cycles(default_network, kinds="equity,purchase,compute"),
                    "amd", "openai") is None
    # as of mid-2025 neither c02 (2026-02-27) nor the loop through it exists
    early = find_cycles(default_network.as_of("2025-06-30"))
    assert cycle_of(early, "nvidia", "openai", "oracle") is None


def test_entity_heaviest_on_bundled(default_network):
    frame = entity_heaviest_cycles(default_network).set_index("id")
    assert frame.loc["oracle", "heaviest_cycle_bottleneck"] == 30.0
    assert frame.loc["oracle", "heaviest_cycle"] == ["nvidia", "openai", "oracle"]
    # amd <-> meta: warrant c105 32 against purchase c104 60 (2026-12 audit) beats the
    # openai loop's 26
    assert frame.loc["amd", "heaviest_cycle_bottleneck"] == 32.0
    assert np.isnan(frame.loc["dell", "heaviest_cycle_bottleneck"])


def test_cli_cycles_json_lists_loops():
    out = CliRunner().invoke(main, ["cycles", "--format", "json", "--top", "50"],
                             catch_exceptions=False)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    loops = {tuple(c["nodes"]): c for c in data["cycles"]}
    c = loops[("nvidia", "openai", "oracle")]
    assert (c["bottleneck"], c["total"], c["length"]) == (30.0, 370.0, 3)
    assert c["round_trip"] == "vendor financing: nvidia"
    assert [e["kinds"] for e in c["edges"]] == [["equity"], ["compute"], ["purchase"]]
    # 36 loops since the 2026-12 audit (21 before): the new coreweave, amd-meta, cerebras
    # and TPU-SPV legs close new loops
    assert data["cycle_count"] == len(data["cycles"]) == 36 and data["truncated"] is False
    bottlenecks = [c["bottleneck"] for c in data["cycles"]]
    assert bottlenecks == sorted(bottlenecks, reverse=True)


def test_cli_cycles_options():
    runner = CliRunner()
    data = json.loads(runner.invoke(main, ["cycles", "-f", "json", "--max-length", "2",
                                           "--min-amount", "10", "--top", "50"]).output)
    assert all(c["length"] <= 2 and c["bottleneck"] >= 10 for c in data["cycles"])
    assert data["cycle_count"] == len(data["cycles"])
    # the count limit: truncated and said so in the table
    out = runner.invoke(main, ["cycles", "--count-limit", "5"]).output
    assert "At least 5 simple cycles (a lower bound" in out
    data = json.loads(runner.invoke(main, ["cycles", "-f", "json", "--count-limit", "5"]).output)
    assert data["cycle_count"] == 5 and data["truncated"] is True
    # --as-of: before c02 (2026-02-27) the nvidia -> openai -> oracle loop does not exist
    early = json.loads(runner.invoke(main, ["cycles", "-f", "json", "--top", "50",
                                            "--as-of", "2025-06-30"]).output)
    assert ("nvidia", "openai", "oracle") not in {tuple(c["nodes"]) for c in early["cycles"]}
    # bad input: exit 2, no traceback
    for args in (["cycles", "--max-length", "0"], ["cycles", "--measures", "magic"],
                 ["cycles", "--status", "signed"], ["cycles", "--table", "nope", "-f", "csv"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 2 and "Traceback" not in res.output, (args, res.output)
