"""networkx node-link JSON, GraphML and GEXF (for Gephi), both ways.

The files carry every field of both tables: entity fields as node attributes, commitment
fields as edge attributes (the commitment id as the edge key and as ``commitment``), and
the network's metadata (name, as_of, unit, sources ...) as graph attributes (GraphML:
one ``finflow_metadata`` attribute holding JSON; GEXF: JSON in ``<meta><description>``).
Missing values are simply absent. On reading, the same validation as for CSV runs, and
more: node-link JSON is checked for its shape (nodes are objects with a scalar ``id``,
edges objects whose ends are declared nodes: networkx would silently add an undeclared
end as a new node, GraphML and GEXF readers too, so finflow compares with the nodes the
file declares), attribute values must be single values (not lists or mappings), and the
metadata is checked against the schema of :mod:`finflow.io.metadata`.
"""
from __future__ import annotations

import json
import math
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import FinflowError, FinflowWarning, NetworkFileError, Problem
from ..schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS
from .metadata import MAX_DEPTH, check_metadata, check_metadata_fields, decode_text
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


def graph_to_tables(g: nx.Graph, file: str = "<graph>", declared: set[str] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validated (entities, commitments) from a graph built like :func:`tables_to_graph`.

    Works with any networkx directed graph: nodes become entities (type ``other`` unless
    given), edges become commitments; an edge needs ``kind`` and ``amount`` attributes.
    With ``declared`` (the node ids a file declares), other nodes (ends of edges that
    the reader added on its own) are not entities, so their edges are reported.
    """
    if not g.is_directed():
        raise NetworkFileError([Problem(file, None, "", "the graph is undirected; money flows "
                                        "need a direction (payer -> payee)")])
    nodes = []
    node_ids = []
    for node, data in g.nodes(data=True):
        if declared is not None and str(node) not in declared:
            continue
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
    if fmt not in ("json", "graphml", "gexf"):
        raise FinflowError(f"{shown}: cannot tell the format; use a folder or a .json, "
                           ".graphml or .gexf file")
    problems: list[Problem] = []
    declared: set[str] | None = None
    try:
        if fmt == "json":
            g, meta, problems = _read_node_link(path, shown)
        elif fmt == "graphml":
            g = nx.read_graphml(path, force_multigraph=True)
            declared = _declared_nodes(path)
            raw = g.graph.pop("finflow_metadata", None)
            for k in ("node_default", "edge_default"):
                g.graph.pop(k, None)
            meta = _json_meta(raw, shown, problems) if raw is not None else dict(g.graph)
        else:
            g0 = nx.read_gexf(path)
            declared = _declared_nodes(path)
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
                    meta = _json_meta(el.text[len("finflow-metadata:"):], shown, problems)
    except FinflowError:
        raise
    except RecursionError:
        raise NetworkFileError([Problem(shown, None, "", f"cannot read as {fmt}: it nests "
                                        "too deeply")]) from None
    except MemoryError:
        raise NetworkFileError([Problem(shown, None, "", f"cannot read as {fmt}: it does not "
                                        "fit in memory")]) from None
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise many kinds
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NetworkFileError([Problem(shown, None, "", f"cannot read as {fmt}: {msg[:300]}")]
                               ) from None
    meta, meta_problems, warns = check_metadata(meta, shown)
    problems += meta_problems
    try:
        entities, commitments = graph_to_tables(g, shown, declared)
    except NetworkFileError as exc:
        raise NetworkFileError(problems + exc.problems) from None
    problems += check_metadata_fields(meta, entities, shown)
    if problems:
        raise NetworkFileError(problems)
    for w in warns:
        warnings.warn(FinflowWarning(w), stacklevel=2)
    return entities, commitments, meta


def _json_meta(raw: Any, shown: str, problems: list[Problem]) -> dict[str, Any]:
    """The metadata a GraphML attribute or a GEXF description holds as JSON."""
    try:
        meta = json.loads(str(raw), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        problems.append(Problem(shown, None, "", f"is not valid JSON: {exc}", where="metadata"))
        return {}
    if not isinstance(meta, dict):
        problems.append(Problem(shown, None, "", "must be a JSON object of keys and values, "
                                f"not a {type(meta).__name__}", where="metadata"))
        return {}
    return meta


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _declared_nodes(path: Path) -> set[str]:
    """Ids of the ``<node>`` elements of a GraphML or GEXF file."""
    out: set[str] = set()
    for _, el in ET.iterparse(path):
        if el.tag == "node" or el.tag.endswith("}node"):
            nid = el.get("id")
            if nid is not None:
                out.add(nid)
    return out


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return False
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return True


def _node_id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) or isinstance(value, float) and math.isfinite(value):
        return str(value)
    return None


def _read_node_link(path: Path, shown: str
                    ) -> tuple[nx.MultiDiGraph, dict[str, Any], list[Problem]]:
    """A networkx node-link document, checked for its shape, as a MultiDiGraph (only
    declared nodes; edges with an undeclared end are reported and left out)."""
    text = decode_text(path.read_bytes(), shown)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise NetworkFileError([Problem(shown, None, "", "cannot read as json: it nests too "
                                        "deeply")]) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        msg = getattr(exc, "msg", str(exc))
        raise NetworkFileError([Problem(shown, line, "", f"cannot read as json: {msg}")]
                               ) from None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise NetworkFileError([Problem(shown, None, "", "is not a networkx node-link document "
                                        "(a JSON object with a list of 'nodes' and of "
                                        "'edges')")])
    if not _depth_ok(data, MAX_DEPTH):
        raise NetworkFileError([Problem(shown, None, "", f"nests more than {MAX_DEPTH} levels "
                                        "deep")])
    problems: list[Problem] = []

    def bad(where: str, field: str, message: str) -> None:
        problems.append(Problem(shown, None, field, message, where=where))

    if data.get("directed") is False:
        raise NetworkFileError([Problem(shown, None, "directed", "the graph is undirected; "
                                        "money flows need a direction (payer -> payee)")])
    meta = data.get("graph", {})
    if meta is None:
        meta = {}
    g = nx.MultiDiGraph()
    first: dict[str, int] = {}
    for i, node in enumerate(data["nodes"]):
        where = f"nodes[{i}]"
        if not isinstance(node, dict):
            bad(where, "", f"a node must be an object with an 'id', not {_json_kind(node)}")
            continue
        nid = _node_id(node.get("id"))
        if nid is None:
            bad(where, "id", f"must be a non-empty text or a number, not "
                             f"{_json_kind(node.get('id'))}")
            continue
        if nid in first:
            bad(f"node {nid!r}", "id", f"duplicate entity id {nid!r} (first at "
                                       f"nodes[{first[nid]}])")
            continue
        first[nid] = i
        g.add_node(nid, **{str(k): v for k, v in node.items() if k != "id"})
    edges_key = "edges" if "edges" in data else "links"
    links = data.get(edges_key)
    if links is None:
        links = []
    if not isinstance(links, list):
        raise NetworkFileError(problems + [Problem(shown, None, edges_key, "must be a list of "
                                                   f"edges, not {_json_kind(links)}")])
    ends = ("payer", "payee") if links and isinstance(links[0], dict) and "payer" in links[0] \
        else ("source", "target")
    for i, edge in enumerate(links):
        where = f"{edges_key}[{i}]"
        if not isinstance(edge, dict):
            bad(where, "", f"an edge must be an object, not {_json_kind(edge)}")
            continue
        u_v = []
        for end, col in zip(ends, ("payer", "payee")):
            x = _node_id(edge.get(end))
            if x is None:
                bad(where, col, f"{end} must be a node id, not {_json_kind(edge.get(end))}")
            elif x not in first:
                bad(where, col, f"unknown entity {x!r} (not among the nodes)")
            else:
                u_v.append(x)
        if len(u_v) < 2:
            continue
        attrs = {str(k): v for k, v in edge.items() if k not in ends and k != "key"}
        key = edge.get("key")
        g.add_edge(u_v[0], u_v[1], key=key if _node_id(key) is not None else None, **attrs)
    return g, meta, problems


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "missing"
    return repr(value)[:60]
