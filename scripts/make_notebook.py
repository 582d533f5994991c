"""Write docs/finflow-in-a-notebook.ipynb (cells without outputs); the test suite executes it."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# finflow in a notebook

What the README's *Library* section shows, cell by cell: the bundled network, every
result displayed as a table, a network built from a deal list of your own (other column
names, no entities table), and exports to GraphML and GEXF read back by networkx.
The test suite executes this notebook (`tests/test_notebook.py`); each `assert` checks
that run. Regenerate it with `python scripts/make_notebook.py`."""),
    ("code", """import finflow
net = finflow.load_default()          # the AI-infrastructure network, 2025-2026
net"""),
    ("code", """net.commitments[["id", "payer", "payee", "kind", "amount", "status"]].head()"""),
    ("code", """E = net.exposure_matrix(lgd={"purchase": 0.3})   # E[i, j] = i's loss if j defaults
L = net.obligation_matrix()                       # L[i, j] = what i owes j
assert E.shape == L.shape == (net.n, net.n)
past = net.as_of("2025-10-01")                    # the network as it stood that day
assert len(past.commitments) < len(net.commitments)
net.n, len(past.commitments), len(net.commitments)"""),
    ("md", "## Every result displays as a table"),
    ("code", """cycles = finflow.circular_financing(net)
cycles"""),
    ("code", """# the one-line repr carries the headline numbers
assert repr(cycles).startswith("<CircularFinancing:")
repr(cycles)"""),
    ("code", """finflow.concentration(net)"""),
    ("code", """contagion = finflow.contagion(net, ["openai"], model="cascade")
contagion"""),
    ("code", """rank = finflow.systemic_ranking(net)
rank"""),
    ("code", """finflow.funding_gap(net, "openai")"""),
    ("code", """finflow.view_html(net)                # the explorer, inline (works offline)"""),
    ("md", """## A deal list of your own

A table with the columns `from`, `to`, `usd_bn` and `type`, and no entities table: the
entities are the ids that appear, with figures unknown."""),
    ("code", """import pandas as pd
deals = pd.DataFrame({
    "from":   ["nvidia", "openai", "oracle", "openai", "amd"],
    "to":     ["openai", "oracle", "nvidia", "amd", "openai"],
    "usd_bn": [100.0, 300.0, 40.0, 90.0, 20.0],
    "type":   ["equity", "compute", "purchase", "purchase", "warrant"],
})
mine = finflow.from_frames(deals, payer="from", payee="to", amount="usd_bn", kind="type",
                           name="my deals")
assert list(mine.index) == ["nvidia", "openai", "oracle", "amd"]   # first seen first
mine"""),
    ("code", """# By hand: the loops are nvidia > openai > oracle > nvidia (bottleneck 40, the
# purchase) and openai > amd > openai (bottleneck 20, the warrant); the maximum
# circulation carries 40 on three edges and 20 on two: 160 of the 550 committed.
top = finflow.heaviest_cycles(mine)
assert [(c.nodes, c.bottleneck) for c in top.cycles] == [
    (("nvidia", "openai", "oracle"), 40.0), (("amd", "openai"), 20.0)]
mine_cycles = finflow.circular_financing(mine)
assert abs(finflow.max_circulation(mine).value - 160.0) < 1e-9
mine_cycles"""),
    ("md", "## Out to networkx and Gephi"),
    ("code", """import tempfile, pathlib, networkx as nx
out = pathlib.Path(tempfile.mkdtemp())
G = net.to_networkx()                      # scalar attributes only
nx.write_graphml(G, out / "net.graphml")
back = nx.read_graphml(out / "net.graphml")
assert (back.number_of_nodes(), back.number_of_edges()) == (G.number_of_nodes(),
                                                             G.number_of_edges())
assert back.nodes["openai"]["equity"] == net.entities.set_index("id").loc["openai", "equity"]
nx.write_gexf(G, out / "plain.gexf")
back.number_of_nodes(), back.number_of_edges()"""),
    ("code", """finflow.to_gexf(net, out / "net.gexf", results=[rank, contagion, cycles])
gephi = nx.read_gexf(out / "net.gexf")
impact = rank.to_frame().set_index("id")["impact"]
assert abs(gephi.nodes["openai"]["impact"] - impact["openai"]) < 1e-9
assert gephi.nodes["openai"]["default_round"] == 0     # the shocked firm
{k: gephi.nodes["openai"][k] for k in ("impact", "default_round", "self_financed_share")}"""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src)
                for kind, src in CELLS]
    return nb


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/finflow-in-a-notebook.ipynb")
    nbformat.write(build(), target)
    print(target)
