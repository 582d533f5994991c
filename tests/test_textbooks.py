"""The bundled textbook networks, end to end: files -> CLI -> JSON, against the published
or derived numbers they were built from (docs/worked_examples.md)."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

import finflow
from finflow.cli import main


def cli_json(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("name", ["debtrank_3bank", "eisenberg_noe_3bank"])
def test_textbook_networks_validate(name):
    assert name in finflow.bundled()
    out = CliRunner().invoke(main, ["validate", name])
    assert out.exit_code == 0 and out.output.startswith("OK:")


@pytest.mark.parametrize("shocked,additional,further", [
    # NetworkRiskMeasures early README (Cinelli 2016), printed table "DebtRank (decreasing
    # order)": a 0.9285714 with 2 additional defaults, c 0.6642857 with 0, b 0.25 with 1.
    # PUBLISHED; docs/worked_examples.md section 3.1.
    ("a", 0.9285714, 2), ("c", 0.6642857, 0), ("b", 0.25, 1)])
def test_original_debtrank_reproduces_the_networkriskmeasures_table(shocked, additional, further):
    d = cli_json("contagion", "debtrank_3bank", "--default", shocked, "--model", "debtrank",
                 "-f", "json")
    assert d["model"] == "debtrank"
    assert d["debtrank"] == pytest.approx(additional, abs=5e-8)
    assert len(d["defaulted"]) - 1 == further


def test_ten_percent_shock_original_and_linear():
    shock = ["--shock", "a=0.1", "--shock", "b=0.1", "--shock", "c=0.1"]
    d = cli_json("contagion", "debtrank_3bank", *shock, "--model", "debtrank", "-f", "json")
    # PUBLISHED (section 3.1): "Shock causes additional stress of 16.07%", final stress
    # a 0.15, b 0.26, c 0.30.
    assert d["debtrank"] == pytest.approx(0.1607, abs=5e-5)
    rel = {e["id"]: e["relative_loss"] for e in d["entities"]}
    assert rel == pytest.approx({"a": 0.15, "b": 0.26, "c": 0.30})
    # DERIVED (section 3.2, Bardoscia et al. 2015 dynamics): h = (0.6, 1, 1),
    # additional stress (0.5 x 10 + 0.9 x 100 + 0.9 x 30) / 140 = 122 / 140.
    d = cli_json("contagion", "debtrank_3bank", *shock, "--model", "linear-debtrank",
                 "-f", "json")
    assert d["debtrank"] == pytest.approx(122 / 140)
    rel = {e["id"]: e["relative_loss"] for e in d["entities"]}
    assert rel == pytest.approx({"a": 0.6, "b": 1.0, "c": 1.0})


def test_eisenberg_noe_clearing_vector_and_default_order():
    # DERIVED (docs/worked_examples.md section 1.3, inputs of Kanjere 2021 "Scenario 3"):
    # greatest clearing vector p = (1133/162, 184/81, 4); b defaults in the first
    # fictitious-default round, a in the second, c pays in full.
    d = cli_json("contagion", "eisenberg_noe_3bank", "--model", "eisenberg-noe", "-f", "json")
    paid = {p["id"]: p["paid"] for p in d["payments"]}
    assert paid["a"] == pytest.approx(float(Fraction(1133, 162)), rel=1e-12)
    assert paid["b"] == pytest.approx(float(Fraction(184, 81)), rel=1e-12)
    assert paid["c"] == pytest.approx(4.0)
    rounds = {e["id"]: e["round"] for e in d["entities"]}
    assert rounds["b"] < rounds["a"] and rounds["c"] is None
    assert set(d["defaulted"]) == {"a", "b"}
    # money is conserved: what is paid inside the network is what is received
    assert sum(p["paid"] for p in d["payments"]) == pytest.approx(
        sum(p["received"] for p in d["payments"]) + sum(p["paid_outside"] for p in d["payments"]))
