"""networkx node-link JSON, GraphML and GEXF (for Gephi), both ways.

The files carry every field of both tables: entity fields as node attributes, commitment
fields as edge attributes (the commitment id as the edge key and as ``commitment``), and
the network's metadata (name, as_of, unit, sources ...) as graph attributes (GraphML:
one ``finflow_metadata`` attribute holding JSON; GEXF: JSON in ``<meta><description>``).
Missing values are simply absent. On reading, the same validation as for CSV runs.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import FinflowError, NetworkFileError, Problem
from ..schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS
from .tables import Locator, coerce_tables

__all__ = ["tables_to_graph", "graph_to_tables", "read_graph_file", "write_graph_file",
           "FORMATS_BY_SUFFIX"]

FORMATS_BY_SUFFIX = {".json": "json", ".graphml": "graphml", ".gexf": "gexf"}
_GEXF_RESERVED = {"id", "label", "start", "end", "weight", "type", "key", "pid", "viz"}
_GEXF_PREFIX = "ff_"
_ROW = "finflow_row"  # the commitment's row, so that files keep the table order


def _clean(value: Any) -> Any:
    """Python scalars for attributes; None for missing."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def tables_to_graph(entities: pd.DataFrame, commitments: pd.DataFrame,
                    metadata: dict[str, Any] | None = None, *,
                    commitment_attr: str | None = None) -> nx.MultiDiGraph:
    """A MultiDiGraph: a node per entity, an edge per commitment keyed by its id.

    Missing values are left out of the attribute dicts. With ``commitment_attr`` the id is
    also stored under that attribute name (file formats need it).
    """
    g = nx.MultiDiGraph()
    g.graph.update({k: v for k, v in (metadata or {}).items() if k != "path"})
    ent_cols = [c for c in entities.columns if c != "id"]
    for rec in entities.itertuples(index=False):
        row = rec._asdict()
        g.add_node(row["id"], **{c: v for c in ent_cols if (v := _clean(row[c])) is not None})
    com_cols = [c for c in commitments.columns if c not in ("id", "payer", "payee")]
    for i, rec in enumerate(commitments.itertuples(index=False)):
        row = rec._asdict()
        data = {c: v for c in com_cols if (v := _clean(row[c])) is not None}
        if commitment_attr:
            data[commitment_attr] = row["id"]
            data[_ROW] = i
        g.add_edge(row["payer"], row["payee"], key=row["id"], **data)
    return g


def graph_to_tables(g: nx.Graph, file: str = "<graph>") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validated (entities, commitments) from a graph built like :func:`tables_to_graph`.

    Works with any networkx directed graph: nodes become entities (type ``other`` unless
    given), edges become commitments; an edge needs ``kind`` and ``amount`` attributes.
    """
    if not g.is_directed():
        raise NetworkFileError([Problem(file, None, "", "the graph is undirected; money flows "
                                        "need a direction (payer -> payee)")])
    nodes = []
    node_ids = []
    for node, data in g.nodes(data=True):
        rec = {"id": str(node)}
        rec.update({k: v for k, v in data.items() if k != "id"})
        nodes.append(rec)
        node_ids.append(str(node))
    edges = []
    edge_where = []
    if g.is_multigraph():
        it = ((u, v, k, d) for u, v, k, d in g.edges(keys=True, data=True))
    else:
        it = ((u, v, None, d) for u, v, d in g.edges(data=True))
    for u, v, k, data in it:
        rec = {k2: v2 for k2, v2 in data.items() if k2 not in ("commitment", _ROW)}
        rec[_ROW] = data.get(_ROW)
        cid = data.get("commitment", data.get("id", k))
        rec["id"] = "" if cid is None else str(cid)
        rec["payer"], rec["payee"] = str(u), str(v)
        edges.append(rec)
        edge_where.append(f"edge {rec['id'] or (str(u) + '->' + str(v))!r}")
    if edges and all(isinstance(r[_ROW], (int, float)) for r in edges):
        order = sorted(range(len(edges)), key=lambda i: edges[i][_ROW])
        edges = [edges[i] for i in order]
        edge_where = [edge_where[i] for i in order]
    for r in edges:
        del r[_ROW]
    ent_cols = list(ENTITY_COLUMNS) + sorted({c for r in nodes for c in r} - set(ENTITY_COLUMNS))
    com_cols = list(COMMITMENT_COLUMNS) + sorted(
        {c for r in edges for c in r} - set(COMMITMENT_COLUMNS))
    ent = pd.DataFrame(nodes, columns=[c for c in ent_cols if any(c in r for r in nodes)] or ["id"])
    com = pd.DataFrame(edges, columns=[c for c in com_cols if any(c in r for r in edges)]
                       or ["id", "payer", "payee", "kind", "amount"])
    ent = ent.astype(object).where(ent.notna(), None)
    com = com.astype(object).where(com.notna(), None)
    return coerce_tables(
        ent, com,
        Locator(file, label=lambda i: f"node {node_ids[i]!r}"),
        Locator(file, label=lambda i: edge_where[i]),
    )


def write_graph_file(entities: pd.DataFrame, commitments: pd.DataFrame,
                     metadata: dict[str, Any], path: str | Path, fmt: str,
                     overwrite: bool = True) -> Path:
    """Write node-link JSON, GraphML or GEXF, atomically and never through a symbolic
    link (:func:`finflow.io.output.atomic_file`); an existing file is replaced only
    when ``overwrite``."""
    from .output import atomic_file
    path = Path(path)
    if fmt not in ("json", "graphml", "gexf"):
        raise FinflowError(f"unknown format {fmt!r}; choose from folder, json, graphml, gexf")
    meta = {k: v for k, v in metadata.items() if k != "path"}
    g = tables_to_graph(entities, commitments, meta, commitment_attr="commitment")
    if fmt == "json":
        # payer/payee name the endpoints, so that a commitment's own ``source`` field
        # (where the figure comes from) keeps its name
        data = nx.node_link_data(g, edges="edges", source="payer", target="payee")
        with atomic_file(path, overwrite=overwrite) as f:
            f.write(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    elif fmt == "graphml":
        g.graph.clear()
        g.graph["finflow_metadata"] = json.dumps(meta, ensure_ascii=False, default=str)
        with atomic_file(path, overwrite=overwrite, binary=True) as f:
            nx.write_graphml(g, f, named_key_ids=True)
    elif fmt == "gexf":
        h = nx.MultiDiGraph()
        h.graph["name"] = str(meta.get("name", ""))
        for n, d in g.nodes(data=True):
            h.add_node(n, label=str(d.get("name", n)),
                       **{_gexf_name(k): v for k, v in d.items()})
        for u, v, k, d in g.edges(keys=True, data=True):
            h.add_edge(u, v, key=k, id=str(k), **{_gexf_name(a): b for a, b in d.items()})
        text = "\n".join(nx.generate_gexf(h))
        root = ET.fromstring(text)
        ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        meta_el = root.find(f"{ns}meta")
        if meta_el is None:
            meta_el = ET.Element(f"{ns}meta")
            root.insert(0, meta_el)
        desc = ET.SubElement(meta_el, f"{ns}description")
        desc.text = "finflow-metadata:" + json.dumps(meta, ensure_ascii=False, default=str)
        if ns:
            ET.register_namespace("", ns[1:-1])
        with atomic_file(path, overwrite=overwrite, binary=True) as f:
            ET.ElementTree(root).write(f, encoding="utf-8", xml_declaration=True)
    return path


def _gexf_name(name: str) -> str:
    return _GEXF_PREFIX + name if name in _GEXF_RESERVED else name


def _from_gexf_name(name: str) -> str:
    if name.startswith(_GEXF_PREFIX) and name[len(_GEXF_PREFIX):] in _GEXF_RESERVED:
        return name[len(_GEXF_PREFIX):]
    return name


def read_graph_file(path: str | Path, fmt: str | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read node-link JSON, GraphML or GEXF into validated tables and metadata."""
    path = Path(path)
    fmt = fmt or FORMATS_BY_SUFFIX.get(path.suffix.lower())
    shown = str(path)
    if not path.is_file():
        raise NetworkFileError([Problem(shown, None, "", "file not found")])
    try:
        if fmt == "json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            if not isinstance(data, dict) or "nodes" not in data:
                raise ValueError("not a networkx node-link document (no 'nodes')")
            edges_key = "edges" if "edges" in data else "links"
            links = data.get(edges_key) or []
            ends = ("payer", "payee") if links and "payer" in links[0] else ("source", "target")
            g = nx.node_link_graph(data, directed=True, multigraph=True, edges=edges_key,
                                   source=ends[0], target=ends[1])
            meta = dict(g.graph)
        elif fmt == "graphml":
            g = nx.read_graphml(path, force_multigraph=True)
            raw = g.graph.pop("finflow_metadata", None)
            meta = json.loads(raw) if raw else dict(g.graph)
        elif fmt == "gexf":
            g0 = nx.read_gexf(path)
            g = nx.MultiDiGraph()
            for n, d in g0.nodes(data=True):
                d = {_from_gexf_name(k): v for k, v in d.items() if k != "label"}
                g.add_node(n, **d)
            for u, v, d in g0.edges(data=True):
                d = {_from_gexf_name(k): val for k, val in d.items()}
                d.pop("id", None)
                g.add_edge(u, v, **d)
            meta = {}
            root = ET.parse(path).getroot()
            for el in root.iter():
                if el.tag.endswith("description") and (el.text or "").startswith(
                        "finflow-metadata:"):
                    meta = json.loads(el.text[len("finflow-metadata:"):])
        else:
            raise FinflowError(f"{shown}: cannot tell the format; use a folder or a .json, "
                               ".graphml or .gexf file")
    except FinflowError:
        raise
    except (ValueError, KeyError, TypeError, ET.ParseError, nx.NetworkXError) as exc:
        raise NetworkFileError([Problem(shown, None, "", f"cannot read as {fmt}: {exc}")]
                               ) from None
    entities, commitments = graph_to_tables(g, shown)
    return entities, commitments, meta
