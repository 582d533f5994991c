"""The notebook in docs/ runs from top to bottom in a fresh kernel (nbclient), and
displays what the README says: every result as HTML, the network built from a user's
own column names, exports read back by networkx. Its own asserts check the numbers
(hand-computed cycles and circulation of the small deal list, the GEXF attributes equal
to the library's)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "finflow-in-a-notebook.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel runs this interpreter (the one with finflow installed)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "docs")}})
    client.execute()
    return nb


def test_notebook_is_what_the_script_writes():
    import make_notebook
    written = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in written.cells] == [c.source for c in make_notebook.build().cells], \
        "docs/finflow-in-a-notebook.ipynb is stale: run python scripts/make_notebook.py"


def test_every_cell_runs_without_error(executed):
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(executed.cells)
              if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors


def _html_of(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", [])
                   if o.output_type == "execute_result")


def test_each_result_displays_as_html_tables(executed):
    shown = {c.source.splitlines()[-1].strip(): _html_of(c) for c in executed.cells
             if c.cell_type == "code"}
    for last in ("cycles", "contagion", "rank", "mine", "mine_cycles",
                 "finflow.concentration(net)", 'finflow.funding_gap(net, "openai")'):
        html = shown[last]
        assert html, f"{last} has no HTML display"
        if last != "mine":
            assert "<table" in html, f"{last} shows no table"
    # the network displays its name and counts; the explorer displays inline
    net_html = shown["net"]
    assert "AI infrastructure financing, 2025-2026" in net_html, net_html[:300]
    assert "44 entities, 122 commitments" in net_html  # the bundled network (its README)
    assert "<iframe" in shown["finflow.view_html(net)                # the explorer, inline (works offline)"]
