"""Synthetic networks: reproducible, valid, and shaped as documented."""
from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

import finflow
from finflow.cli import main
from finflow.generate import KIND_MIX


def test_same_seed_same_network_and_files_pass_validation(tmp_path):
    a = finflow.generate(300, 2000, seed=3)
    b = finflow.generate(300, 2000, seed=3)
    assert a.commitments.equals(b.commitments) and a.entities.equals(b.entities)
    assert not finflow.generate(300, 2000, seed=4).commitments.equals(a.commitments)
    # generated without validation for speed: the written files must pass it
    a.save(tmp_path / "net")
    back = finflow.load(tmp_path / "net")
    assert back.n == 300 and len(back.commitments) == 2000
    assert (back.commitments["payer"] != back.commitments["payee"]).all()


def test_shape_heavy_tailed_degrees_and_core():
    net = finflow.generate(2000, 20000, seed=1)
    out_deg = np.asarray((net.flow_matrix(status="all") > 0).sum(axis=1)).ravel()
    # heavy tail: the busiest entity has far more counterparties than the median one
    assert out_deg.max() > 20 * max(np.median(out_deg), 1)
    kinds = net.commitments["kind"].value_counts(normalize=True)
    assert abs(kinds["compute"] - KIND_MIX["compute"]) < 0.02
    assert (net.entities["equity"] > 0).all()


def test_cli_generate_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    out = tmp_path / "syn"
    r = runner.invoke(main, ["generate", "50", "200", "-o", str(out), "--seed", "2"])
    assert r.exit_code == 0, r.output
    before = (out / "commitments.csv").read_text()
    r = runner.invoke(main, ["generate", "50", "300", "-o", str(out)])
    assert r.exit_code == 2 and "will not overwrite" in r.output
    assert (out / "commitments.csv").read_text() == before
    data = json.loads(runner.invoke(main, ["show", str(out), "-f", "json"]).output)
    assert data["n_entities"] == 50 and data["n_commitments"] == 200
