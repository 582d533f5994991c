"""The command line through click's CliRunner: JSON output parsed, exit codes, clean errors."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import finflow
from finflow.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner, *args, code=0):
    result = runner.invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_version_and_help(runner):
    assert finflow.__version__ in run(runner, "--version").output
    out = run(runner, "--help").output
    for command in ("show", "validate"):
        assert command in out
    assert "Examples:" in run(runner, "show", "--help").output


def test_show_default_network_json_matches_library(runner, default_network):
    data = json.loads(run(runner, "show", "--format", "json").output)
    assert data["n_entities"] == default_network.n
    assert data["n_commitments"] == len(default_network.commitments)
    ids = [e["id"] for e in data["entities"]]
    assert sorted(ids) == sorted(default_network.index)
    # the total is the sum of counted amounts: statuses but lapsed, in_totals, known amount
    com = default_network.commitments
    counted = com[(com["status"] != "lapsed") & com["in_totals"] & com["amount"].notna()]
    assert data["total_amount"] == pytest.approx(counted["amount"].sum())
    # throughput of the top entity is its inflow + outflow
    top = data["entities"][0]
    assert top["throughput"] == pytest.approx(top["inflow"] + top["outflow"])
    assert top["throughput"] == max(e["throughput"] for e in data["entities"])


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_show_formats(runner, fmt):
    out = run(runner, "show", "--format", fmt, "--limit", "10").output
    # the two largest by throughput (openai 1,022.75, oracle 663 after the 2026-12 audit)
    assert "openai" in out and "oracle" in out


def test_show_filters_change_totals(runner):
    all_ = json.loads(run(runner, "show", "-f", "json").output)["total_amount"]
    closed = json.loads(run(runner, "show", "-f", "json", "--status", "closed").output)
    assert closed["statuses"] == ["closed"]
    assert 0 < closed["total_amount"] < all_
    early = json.loads(run(runner, "show", "-f", "json", "--as-of", "2025-06-30").output)
    assert early["n_commitments"] < json.loads(run(runner, "show", "-f", "json").output)["n_commitments"]


def test_validate_ok(runner):
    out = run(runner, "validate").output
    assert out.startswith("OK:")
    data = json.loads(run(runner, "validate", "--format", "json").output)
    assert data["valid"] is True and data["problems"] == []


def test_validate_names_all_five_problems_and_exits_2(runner, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        "id,name,type,equity\n"
        "a,A,other,10\n"
        "b,B,other,lots\n"      # line 3: non-numeric equity
        "a,A again,other,1\n"   # line 4: duplicate id
    )
    (folder / "commitments.csv").write_text(
        "id,payer,payee,kind,amount,status\n"
        "c1,a,b,loan,5,closed\n"
        "c2,a,ghost,loan,5,closed\n"   # line 3: unknown payee
        "c3,a,b,swap,5,closed\n"       # line 4: unknown kind
        "c4,b,a,loan,-2,closed\n"      # line 5: negative amount
    )
    result = runner.invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    out = result.output
    e, c = folder / "entities.csv", folder / "commitments.csv"
    for want in (f"{e}:3: equity:", f"{e}:4: id: duplicate", f"{c}:3: payee: unknown entity",
                 f"{c}:4: kind: unknown kind", f"{c}:5: amount: -2 is negative"):
        assert want in out
    assert "Traceback" not in out
    data = json.loads(runner.invoke(main, ["validate", str(folder), "-f", "json"]).output)
    assert data["valid"] is False and len(data["problems"]) == 5
    # any other command on the bad network: the same problems, exit 2, no traceback
    result = runner.invoke(main, ["show", str(folder)])
    assert result.exit_code == 2 and "commitments.csv:5: amount" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_arguments_exit_2_without_traceback(runner, tmp_path):
    for args in (["show", str(tmp_path / "nowhere")], ["show", "--status", "signed"],
                 ["show", "--kinds", "swap"], ["show", "--as-of", "soon"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Error" in result.output and "Traceback" not in result.output


def test_bundled_network_by_name(runner):
    names = finflow.bundled()
    assert "ai_infrastructure" in names
    for name in names:
        assert run(runner, "validate", name).output.startswith("OK:")
