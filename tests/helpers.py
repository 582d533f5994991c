"""Helpers shared by the tests (importable: tests/ is on pytest's pythonpath)."""
from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

import finflow


def make_network(edges: Iterable[tuple], equity: Mapping[str, float] | None = None,
                 **entity_fields: Mapping[str, float]) -> finflow.Network:
    """A network from ``(payer, payee, kind, amount[, extra dict])`` tuples.

    Entities are every endpoint plus the keys of ``equity`` (and of any other field
    mapping given as a keyword, e.g. ``revenue={...}``), in first-seen order.
    """
    rows = []
    ids: list[str] = []
    for i, e in enumerate(edges):
        payer, payee, kind, amount = e[:4]
        extra = e[4] if len(e) > 4 else {}
        rows.append({"id": f"e{i + 1}", "payer": payer, "payee": payee, "kind": kind,
                     "amount": amount, **extra})
        for x in (payer, payee):
            if x not in ids:
                ids.append(x)
    fields = dict(entity_fields)
    if equity is not None:
        fields["equity"] = equity
    for mapping in fields.values():
        for x in mapping:
            if x not in ids:
                ids.append(x)
    ent = pd.DataFrame({"id": ids})
    for name, mapping in fields.items():
        ent[name] = [mapping.get(x) for x in ids]
    com = pd.DataFrame(rows) if rows else pd.DataFrame(
        columns=["id", "payer", "payee", "kind", "amount"])
    return finflow.Network.from_frames(ent, com, name="test")
