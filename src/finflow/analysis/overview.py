"""A network at a glance: counts and amounts by kind and status, entities by throughput."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..kinds import KINDS, STATUSES, resolve_kinds, resolve_statuses
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from ..netcheck import ensure_network

__all__ = ["Overview", "overview", "throughput"]


def throughput(network: Network, status: str | Iterable[str] | None = None,
               kinds: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Per entity: inflow (sum received), outflow (sum paid), throughput = inflow +
    outflow, and the number of distinct payers and payees, on the flow graph F.

    Parameters
    ----------
    network : Network
        The network.
    status : str or list of str, optional
        Which statuses count (``closed``, ``committed``, ``loi``, ``reported``,
        ``lapsed``, or ``"all"``; default: every status but ``lapsed``).
    kinds : str or list of str, optional
        Which kinds of commitment count (default: every kind).

    Returns
    -------
    pandas.DataFrame
        One row per entity: ``id``, ``inflow``, ``outflow``, ``throughput``,
        ``payers`` and ``payees`` (the numbers of distinct counterparties).

    References
    ----------
    Finn (1976), "Measures of ecosystem structure and function derived from analysis of
    flows", Journal of Theoretical Biology 56(2): 363-380 (throughflow of a node).
    """
    ensure_network(network, "throughput")
    f = network.flow_matrix(status, kinds)
    inflow = np.asarray(f.sum(axis=0)).ravel()
    outflow = np.asarray(f.sum(axis=1)).ravel()
    fb = f.copy()
    fb.data[:] = 1.0
    return pd.DataFrame({
        "id": list(network.index),
        "inflow": inflow,
        "outflow": outflow,
        "throughput": inflow + outflow,
        "payers": np.asarray(fb.sum(axis=0)).ravel().astype(int),
        "payees": np.asarray(fb.sum(axis=1)).ravel().astype(int),
    })


@dataclass(frozen=True)
class Overview(Result):
    """What ``finflow show`` prints: the network's size, its commitments by kind and
    status (all statuses, lapsed included, so nothing is hidden), and its entities by
    throughput under the status/kind filter."""

    name: str
    unit: str
    as_of: str | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    n_entities: int
    n_commitments: int
    n_counted: int
    n_undisclosed: int
    total_amount: float
    by_kind: pd.DataFrame = field(repr=False)
    by_status: pd.DataFrame = field(repr=False)
    entities: pd.DataFrame = field(repr=False)
    title: str = "Network overview"

    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"commitments_by_kind": self.by_kind, "commitments_by_status": self.by_status,
                "entities_by_throughput": self.entities}

    def summary(self) -> list[str]:
        lines = [
            f"{self.name}: {self.n_entities} entities, {self.n_commitments} commitments"
            + (f", as of {self.as_of}" if self.as_of else "") + f"; amounts in {self.unit}.",
            f"Counted ({', '.join(self.statuses)}; amount known; not an umbrella figure): "
            f"{self.n_counted} commitments worth {format_number(self.total_amount)}.",
        ]
        if self.n_undisclosed:
            lines.append(f"{self.n_undisclosed} commitments have no disclosed amount and are "
                         "not counted in amounts.")
        return lines

    def notes(self) -> list[str]:
        return [f"statuses counted: {', '.join(self.statuses)}",
                f"kinds counted: {', '.join(self.kinds)}"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": {"name": self.name, "unit": self.unit, "as_of": self.as_of},
            "statuses": list(self.statuses),
            "kinds": list(self.kinds),
            "n_entities": self.n_entities,
            "n_commitments": self.n_commitments,
            "n_counted": self.n_counted,
            "n_undisclosed": self.n_undisclosed,
            "total_amount": jsonable(self.total_amount),
            "by_kind": records(self.by_kind),
            "by_status": records(self.by_status),
            "entities": records(self.entities),
        }


def overview(network: Network, status: str | Iterable[str] | None = None,
             kinds: str | Iterable[str] | None = None) -> Overview:
    """Summarise a network: counts and amounts by kind and by status, and every entity's
    inflow, outflow and throughput on the money-flow graph F (the status and kind filters
    apply to the amounts and to F; the counts show every status).

    Parameters
    ----------
    network : Network
        The network.
    status : str or list of str, optional
        Which statuses count (``closed``, ``committed``, ``loi``, ``reported``,
        ``lapsed``, or ``"all"``; default: every status but ``lapsed``).
    kinds : str or list of str, optional
        Which kinds of commitment count (default: every kind).

    Returns
    -------
    Overview

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b"]}),
    ...     pd.DataFrame({"payer": ["a", "b"], "payee": ["b", "a"],
    ...                   "kind": ["equity", "purchase"], "amount": [3.0, 2.0]}))
    >>> overview(net).total_amount
    5.0
    """
    ensure_network(network, "overview")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    com = network.commitments
    counted = network.mask(statuses, kind_list)
    amount = com["amount"].where(pd.Series(counted, index=com.index), np.nan)

    def table(col: str, order: Iterable[str]) -> pd.DataFrame:
        g = pd.DataFrame({col: com[col], "amount": amount,
                          "undisclosed": com["amount"].isna()})
        out = g.groupby(col, sort=False).agg(commitments=(col, "size"),
                                             counted_amount=("amount", "sum"),
                                             undisclosed=("undisclosed", "sum"))
        out = out.reindex([o for o in order if o in out.index]).reset_index()
        out["undisclosed"] = out["undisclosed"].astype(int)
        return out

    ent = throughput(network, statuses, kind_list)
    ent.insert(1, "name", network.entities["name"].to_numpy())
    ent.insert(2, "type", network.entities["type"].to_numpy())
    for col in ("equity", "revenue"):
        ent[col] = network.entity_vector(col)
    ent = ent.sort_values(["throughput", "id"], ascending=[False, True], kind="stable")
    return Overview(
        name=network.name,
        unit=network.unit_label,
        as_of=network.metadata.get("as_of"),
        statuses=statuses,
        kinds=kind_list,
        n_entities=network.n,
        n_commitments=len(com),
        n_counted=int(counted.sum()),
        n_undisclosed=int(com["amount"].isna().sum()),
        total_amount=float(np.nansum(amount.to_numpy(dtype=float))),
        by_kind=table("kind", KINDS),
        by_status=table("status", STATUSES),
        entities=ent.reset_index(drop=True),
    )
