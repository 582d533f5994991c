"""The network model: two tables, a fixed node index, and the graphs and matrices derived
from them (``../shared/DESIGN.md`` sections 1-2).

A :class:`Network` holds *entities* (nodes) and *commitments* (edges, money payer -> payee)
as two pandas tables, its source of truth. From them it derives, over the fixed node
index ``network.index`` (entity file order):

* ``network.graph``: a :class:`networkx.MultiDiGraph`, one edge per commitment;
* ``network.flow_graph()`` / ``network.flow_matrix()``: the money-flow graph F, weight =
  sum of amounts of the selected kinds and statuses;
* ``network.exposure_matrix()``: E[i, j] = what i loses if j defaults;
* ``network.obligation_matrix()``: L[i, j] = nominal amount i owes j.

Which rows count: a status filter (default: every status but ``lapsed``), a kind filter
(default: every kind), and only rows with a known amount and ``in_totals`` true (an
umbrella figure whose parts are also listed is not counted twice).
"""
from __future__ import annotations

import datetime as _dt
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import FinflowError
from .io import read_any, write_any
from .io.tables import Locator, coerce_tables, normalise_date
from .kinds import KINDS, parse_lgd, resolve_kinds, resolve_lgd, resolve_statuses

__all__ = ["Network", "load", "date_floor"]


def date_floor(value: str | _dt.date | None) -> _dt.date | None:
    """First day of a partial date (``"2025"`` -> 2025-01-01, ``"2025-09"`` -> 2025-09-01)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        text = normalise_date(value)
    except ValueError as exc:
        raise FinflowError(str(exc)) from None
    if text is None:
        return None
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return _dt.date(parts[0], parts[1], parts[2])


def _floor_series(col: pd.Series) -> pd.Series:
    """Vectorised :func:`date_floor` over a column of partial ISO dates (NaT when missing)."""
    text = col.astype(object)
    padded = text.map(lambda s: s + "-01" * (2 - s.count("-")) if isinstance(s, str) else None)
    return pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")


class Network:
    """A financial network: entities, commitments, metadata.

    Parameters
    ----------
    entities, commitments : pandas.DataFrame
        Tables with the columns of :mod:`finflow.schema` (only ``id`` is required for
        entities; ``payer``, ``payee``, ``kind``, ``amount`` for commitments). They are
        validated; every problem is reported at once in a
        :class:`~finflow.errors.NetworkFileError`.
    metadata : dict, optional
        ``name``, ``description``, ``as_of``, ``currency`` (default USD), ``unit``
        (default billions), ``sources`` and anything else to keep.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> ents = pd.DataFrame({"id": ["a", "b"], "equity": [10.0, 5.0]})
    >>> coms = pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"],
    ...                      "amount": [4.0]})
    >>> net = finflow.Network.from_frames(ents, coms, name="toy")
    >>> net.index
    ('a', 'b')
    >>> net.exposure_matrix(lgd={"loan": 1.0}).toarray()
    array([[0., 4.],
           [0., 0.]])
    >>> net.obligation_matrix().toarray()  # b owes a the principal
    array([[0., 0.],
           [4., 0.]])
    """

    def __init__(self, entities: pd.DataFrame, commitments: pd.DataFrame,
                 metadata: Mapping[str, Any] | None = None, *, validated: bool = False):
        if not validated:
            entities, commitments = coerce_tables(
                entities, commitments, Locator("entities"), Locator("commitments"))
        self._entities = entities
        self._commitments = commitments
        meta = dict(metadata or {})
        meta.setdefault("currency", "USD")
        meta.setdefault("unit", "billions")
        self.metadata: dict[str, Any] = meta
        #: the filters that produced this network (see :meth:`select`), or None
        self.selection: dict[str, Any] | None = None

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_frames(cls, entities: pd.DataFrame, commitments: pd.DataFrame,
                    **metadata: Any) -> "Network":
        """Build a network from two DataFrames (validated like files are)."""
        return cls(entities, commitments, metadata)

    @classmethod
    def read(cls, path: str | Path, format: str | None = None) -> "Network":
        """Read a network folder or a node-link JSON / GraphML / GEXF file."""
        ent, com, meta = read_any(path, format)
        meta = dict(meta)
        meta["path"] = str(path)
        return cls(ent, com, meta, validated=True)

    def save(self, path: str | Path, format: str | None = None, overwrite: bool = False) -> Path:
        """Write the network: ``format`` is ``folder`` (default for a path without a
        suffix), ``json`` (networkx node-link), ``graphml`` or ``gexf``. Existing files
        are never replaced unless ``overwrite`` is true."""
        return write_any(self._entities, self._commitments, self.metadata, path, format,
                         overwrite=overwrite)

    def _derive(self, commitments: pd.DataFrame, selection: dict[str, Any]) -> "Network":
        net = Network(self._entities, commitments.reset_index(drop=True), self.metadata,
                      validated=True)
        net.selection = selection
        return net

    # ---- tables and metadata ------------------------------------------------------------
    @property
    def entities(self) -> pd.DataFrame:
        """The entities table (one row per entity, in index order). Do not modify."""
        return self._entities

    @property
    def commitments(self) -> pd.DataFrame:
        """The commitments table (one row per commitment). Do not modify."""
        return self._commitments

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or Path(str(self.metadata.get("path", "network"))).name)

    @property
    def unit_label(self) -> str:
        """For example ``"USD billions"``."""
        return f"{self.metadata.get('currency', 'USD')} {self.metadata.get('unit', 'billions')}"

    @cached_property
    def index(self) -> tuple[str, ...]:
        """Entity ids in matrix order (the order of the entities table)."""
        return tuple(self._entities["id"])

    @cached_property
    def position(self) -> dict[str, int]:
        """Entity id -> row/column of the matrices."""
        return {e: i for i, e in enumerate(self.index)}

    @property
    def n(self) -> int:
        return len(self.index)

    def entity_vector(self, field: str) -> np.ndarray:
        """A numeric entity field as a float array over :attr:`index` (NaN where missing)."""
        if field not in self._entities.columns:
            raise FinflowError(f"entities have no field {field!r}")
        return pd.to_numeric(self._entities[field], errors="coerce").to_numpy(dtype=float)

    def __repr__(self) -> str:
        return (f"<Network {self.name!r}: {self.n} entities, {len(self._commitments)} "
                f"commitments, {self.unit_label}>")

    # ---- filters ----------------------------------------------------------------------
    def mask(self, status: str | Iterable[str] | None = None,
             kinds: str | Iterable[str] | None = None, *, counted: bool = True) -> np.ndarray:
        """Boolean mask over commitments: status and kind selected and, when ``counted``,
        a known amount and ``in_totals`` true."""
        com = self._commitments
        m = com["status"].isin(resolve_statuses(status)) & com["kind"].isin(resolve_kinds(kinds))
        if counted:
            m = m & com["amount"].notna() & com["in_totals"].astype(bool)
        return m.to_numpy(dtype=bool, copy=True)

    def select(self, status: str | Iterable[str] | None = None,
               kinds: str | Iterable[str] | None = None,
               as_of: str | _dt.date | None = None) -> "Network":
        """A network with only the commitments of the given statuses and kinds (entities
        and the node index are unchanged); ``as_of`` first applies :meth:`as_of`."""
        net = self.as_of(as_of) if as_of is not None else self
        statuses = resolve_statuses(status)
        kind_list = resolve_kinds(kinds)
        m = net.mask(statuses, kind_list, counted=False)
        sel = {"status": list(statuses), "kinds": list(kind_list)}
        if as_of is not None:
            sel["as_of"] = str(date_floor(as_of))
        return net._derive(net._commitments[m], sel)

    def as_of(self, date: str | _dt.date) -> "Network":
        """The network as it stood on ``date``.

        It holds the commitments announced by then (an ``announced`` date whose first day
        is on or before ``date``; rows without one are kept) and not lapsed by then
        (``lapsed_on`` on or before ``date``). A commitment that lapsed *after* ``date``
        was alive on it: its status becomes its ``prior_status`` (``reported`` when
        unknown). A lapsed commitment without ``lapsed_on`` stays lapsed.
        Partial dates count from their first day (``2025-09`` = 2025-09-01).
        """
        try:
            day = date_floor(date)
        except FinflowError as exc:
            raise FinflowError(f"as of: {exc}") from None
        if day is None:
            raise FinflowError(f"as of: {date!r} is not a date")
        ts = pd.Timestamp(day)
        com = self._commitments
        announced = _floor_series(com["announced"])
        lapsed = _floor_series(com["lapsed_on"])
        keep = (announced.isna() | (announced <= ts)) & ~(lapsed.notna() & (lapsed <= ts))
        out = com[keep.to_numpy()].copy()
        revive = (out["status"] == "lapsed") & _floor_series(out["lapsed_on"]).gt(ts).to_numpy()
        if revive.any():
            prior = out.loc[revive, "prior_status"].where(out.loc[revive, "prior_status"].notna(),
                                                          "reported")
            out.loc[revive, "status"] = prior
        net = self._derive(out, {"as_of": day.isoformat()})
        net.metadata = dict(self.metadata, as_of=day.isoformat())
        return net

    # ---- graphs -----------------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """Every commitment as a MultiDiGraph edge ``payer -> payee`` keyed by its id, with
        entity fields on nodes and commitment fields on edges (missing values left out)."""
        from .io.graphformats import tables_to_graph
        return tables_to_graph(self._entities, self._commitments, self.metadata)

    def _rows(self, status, kinds) -> pd.DataFrame:
        return self._commitments[self.mask(status, kinds)]

    def _pos(self, ids: pd.Series) -> np.ndarray:
        return pd.Index(self.index).get_indexer(ids)

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        """Per-commitment arrays over the whole table, computed once: endpoints as
        matrix positions, amounts, and each row's claim (holder, obligor, base amount,
        whether it is an obligation)."""
        com = self._commitments
        amount = com["amount"].to_numpy(dtype=float)
        funded = com["funded"].to_numpy(dtype=float)
        payer = self._pos(com["payer"])
        payee = self._pos(com["payee"])
        kinds = com["kind"]
        basis = kinds.map({k: v.basis or "" for k, v in KINDS.items()}).to_numpy(dtype=object)
        exposed = kinds.map({k: v.exposed or "" for k, v in KINDS.items()}).to_numpy(dtype=object)
        stake = np.where(np.isnan(funded), amount, funded)
        unpaid = np.clip(amount - np.nan_to_num(funded, nan=0.0), 0.0, None)
        base = np.where(basis == "stake", stake, unpaid)
        base = np.where(basis == "", 0.0, base)
        return {
            "payer": payer, "payee": payee, "amount": amount, "base": base,
            "holder": np.where(exposed == "payee", payee, payer),
            "obligor": np.where(exposed == "payee", payer, payee),
            "owes": kinds.map({k: v.obligation is not None for k, v in KINDS.items()}
                              ).to_numpy(dtype=bool),
        }

    def flow_matrix(self, status: str | Iterable[str] | None = None,
                    kinds: str | Iterable[str] | None = None) -> sp.csr_array:
        """F as a sparse n x n matrix: F[i, j] = sum of amounts i pays j (selected rows)."""
        m = self.mask(status, kinds)
        a = self._arrays
        return self._sparse(a["payer"][m], a["payee"][m], a["amount"][m])

    def flow_graph(self, status: str | Iterable[str] | None = None,
                   kinds: str | Iterable[str] | None = None) -> nx.DiGraph:
        """The money-flow graph F: payer -> payee, ``weight`` = sum of amounts of the
        selected commitments; each edge also lists its ``kinds``, ``statuses`` and
        ``commitments`` (ids). Every entity is a node, with its fields."""
        rows = self._rows(status, kinds)
        g = nx.DiGraph()
        g.graph.update({k: v for k, v in self.metadata.items() if k != "sources"})
        for rec in self._entities.itertuples(index=False):
            d = rec._asdict()
            g.add_node(d.pop("id"), **{k: v for k, v in d.items()
                                       if v is not None and not (isinstance(v, float) and np.isnan(v))})
        if len(rows):
            grouped = rows.groupby(["payer", "payee"], sort=False).agg(
                weight=("amount", "sum"),
                kinds=("kind", lambda s: sorted(set(s))),
                statuses=("status", lambda s: sorted(set(s))),
                commitments=("id", list),
            )
            for (u, v), rec in grouped.iterrows():
                g.add_edge(u, v, weight=float(rec["weight"]), kinds=rec["kinds"],
                           statuses=rec["statuses"], commitments=rec["commitments"])
        return g

    # ---- claims ------------------------------------------------------------------------
    def lgd(self, overrides: Mapping[str, float] | Iterable[str] | str | None = None
            ) -> dict[str, float]:
        """The loss given default per kind used for this network: finflow's defaults
        (:data:`finflow.KINDS`), then the network's own (an ``lgd`` mapping in
        ``network.yaml``, e.g. a textbook network whose claims are lost in full), then
        ``overrides`` (``--lgd KIND=X``).

        >>> import pandas as pd
        >>> net = Network.from_frames(pd.DataFrame({"id": ["a", "b"]}),
        ...     pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [1.0]}),
        ...     lgd={"loan": 1.0})
        >>> net.lgd()["loan"], net.lgd({"loan": 0.2})["loan"], net.lgd()["bond"]
        (1.0, 0.2, 0.6)
        """
        table = resolve_lgd(None)
        table.update(parse_lgd(self.metadata.get("lgd")))
        table.update(parse_lgd(overrides))
        return table

    def claims(self, status: str | Iterable[str] | None = None,
               kinds: str | Iterable[str] | None = None,
               lgd: Mapping[str, float] | Iterable[str] | str | None = None) -> pd.DataFrame:
        """Every claim behind the exposure matrix, one row per counted commitment that
        carries one: ``commitment``, ``holder`` (who loses), ``obligor`` (on whom),
        ``holder_pos``/``obligor_pos`` (matrix positions), ``kind``, ``status``, ``base``
        (amount at risk), ``lgd`` and ``exposure`` = base x lgd. Summing ``exposure`` by
        (holder, obligor) gives :meth:`exposure_matrix`."""
        table = self.lgd(lgd)
        a = self._arrays
        com = self._commitments
        m = self.mask(status, kinds) & com["kind"].map(
            {k: v.exposed is not None for k, v in KINDS.items()}).to_numpy(dtype=bool)
        ids = np.asarray(self.index, dtype=object)
        factor = com["kind"][m].map(table).to_numpy(dtype=float)
        return pd.DataFrame({
            "commitment": com["id"].to_numpy(dtype=object)[m],
            "holder": ids[a["holder"][m]], "obligor": ids[a["obligor"][m]],
            "holder_pos": a["holder"][m], "obligor_pos": a["obligor"][m],
            "kind": com["kind"].to_numpy(dtype=object)[m],
            "status": com["status"].to_numpy(dtype=object)[m],
            "base": a["base"][m], "lgd": factor, "exposure": a["base"][m] * factor,
        })

    def exposure_matrix(self, lgd: Mapping[str, float] | Iterable[str] | str | None = None,
                        status: str | Iterable[str] | None = None,
                        kinds: str | Iterable[str] | None = None) -> sp.csr_array:
        """The exposure matrix E: ``E[i, j]`` = what ``i`` loses if ``j`` defaults.

        E[i, j] = sum over the claims of i on j of remaining amount x LGD(kind), where the
        claim holder is given by the kind (:mod:`finflow.kinds`) and the remaining amount
        is ``funded`` (or ``amount`` when unknown) for stakes and loans, and
        ``amount - funded`` for future flows (purchase, compute, lease) and backstops.
        ``other`` carries no claim. ``lgd`` overrides the default LGDs per kind.
        """
        table = self.lgd(lgd)
        m = self.mask(status, kinds)
        a = self._arrays
        factor = self._commitments["kind"][m].map(table).to_numpy(dtype=float)
        return self._sparse(a["holder"][m], a["obligor"][m], a["base"][m] * factor)

    def obligation_matrix(self, status: str | Iterable[str] | None = None,
                          kinds: str | Iterable[str] | None = None) -> sp.csr_array:
        """The obligation matrix L: ``L[i, j]`` = nominal amount ``i`` owes ``j``.

        A loan, bond or credit makes the borrower (payee) owe the lender (payer) the
        principal (``funded``, or ``amount`` when unknown); a purchase, compute or lease
        contract makes the buyer (payer) owe the seller (payee) the unpaid remainder
        (``amount - funded``). Equity, warrants, backstops (contingent) and ``other`` owe
        nothing. Used by Eisenberg-Noe clearing.
        """
        a = self._arrays
        m = self.mask(status, kinds) & a["owes"]
        # the creditor is the claim holder; the debtor is the obligor
        return self._sparse(a["obligor"][m], a["holder"][m], a["base"][m])

    def _sparse(self, i: np.ndarray, j: np.ndarray, v: np.ndarray) -> sp.csr_array:
        keep = np.isfinite(v) & (v != 0)
        m = sp.coo_array((v[keep], (i[keep], j[keep])), shape=(self.n, self.n)).tocsr()
        m.sum_duplicates()
        return m


def load(path: str | Path, format: str | None = None) -> Network:
    """Load a network from a folder (``entities.csv``, ``commitments.csv``, optional
    ``network.yaml``) or a node-link JSON / GraphML / GEXF file; a bundled network's name
    (see :func:`finflow.bundled`) also works.

    Raises :class:`~finflow.errors.NetworkFileError` listing every problem found.
    """
    p = Path(path)
    if not p.exists():
        from .data import bundled_path
        bp = bundled_path(str(path), missing_ok=True)
        if bp is not None:
            return Network.read(bp)
    return Network.read(p, format)
