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
from .kinds import (KINDS, holder_class_of, parse_lgd, resolve_kinds, resolve_lgd,
                    resolve_statuses)

__all__ = ["Network", "load", "date_floor", "apply_mergers"]


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


def floor_series(col: pd.Series) -> pd.Series:
    """Vectorised :func:`date_floor` over a column of partial ISO dates (NaT when missing)."""
    text = col.astype(object)
    padded = text.map(lambda s: s + "-01" * (2 - s.count("-")) if isinstance(s, str) else None)
    return pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")


def _has_mergers(entities: pd.DataFrame) -> bool:
    return "merged_into" in entities and bool(entities["merged_into"].notna().any())


def _lookup(uniques: list[str], wanted: set[str], missing: bool) -> np.ndarray:
    """A boolean table over factorized codes: entry k says whether ``uniques[k]`` is
    wanted; the extra last entry (code -1, a missing cell) is ``missing``."""
    return np.array([u in wanted for u in uniques] + [missing], dtype=bool)


def apply_mergers(entities: pd.DataFrame, commitments: pd.DataFrame,
                  day: _dt.date | None) -> tuple[pd.DataFrame, pd.DataFrame, dict, tuple]:
    """The merger view of two tables at ``day`` (network format v2, issue 15).

    An entity with ``merged_into`` whose ``merged_on`` is on or before ``day`` (its first
    day; no ``merged_on``, or ``day`` None: always) is merged: every commitment it pays
    or receives is attributed to the entity it merged into (following chains of
    mergers), its row leaves the entities table, and a commitment between the two
    (now internal to one firm) leaves the commitments table. Before ``merged_on`` the
    entity stands alone. The surviving entity keeps its own figures (give it the
    combined ones from the merger on).

    Returns
    -------
    (entities, commitments, mergers, internal)
        ``mergers``: merged id -> (surviving id, merged_on or None); ``internal``: ids of
        the commitments dropped as internal.
    """
    if not _has_mergers(entities):
        return entities, commitments, {}, ()
    ids = entities["id"].astype(str).tolist()
    into = entities["merged_into"].to_numpy(dtype=object)
    on = entities["merged_on"].to_numpy(dtype=object) if "merged_on" in entities \
        else np.full(len(ids), None, dtype=object)
    step: dict[str, tuple[str, str | None]] = {}
    for eid, t, d in zip(ids, into, on):
        if not isinstance(t, str) or not t:
            continue
        when = d if isinstance(d, str) and d else None
        if day is None or when is None or date_floor(when) <= day:
            step[eid] = (t, when)
    if not step:
        return entities, commitments, {}, ()
    final: dict[str, str] = {}
    for eid in step:
        cur, seen = eid, {eid}
        while cur in step and step[cur][0] not in seen:
            cur = step[cur][0]
            seen.add(cur)
        final[eid] = cur
    ent = entities[~entities["id"].isin(list(step))].reset_index(drop=True)
    com = commitments.copy()
    com["payer"] = com["payer"].map(lambda x: final.get(x, x))
    com["payee"] = com["payee"].map(lambda x: final.get(x, x))
    internal = (com["payer"] == com["payee"]).to_numpy()
    dropped = tuple(com.loc[internal, "id"].astype(str))
    com = com[~internal].reset_index(drop=True)
    mergers = {eid: (final[eid], step[eid][1]) for eid in step}
    return ent, com, mergers, dropped


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
    validated : bool
        The tables are already finflow's validated, typed tables (as another network's
        ``entities`` and ``commitments``): skip the checks and type coercion. Default
        ``False``: check them.
    merge : bool
        Apply the mergers of the entity columns ``merged_into`` / ``merged_on`` (default
        ``True``; ``False`` keeps the tables as they are).

    Notes
    -----
    Mergers (entity columns ``merged_into``, ``merged_on``) are applied at the network's
    ``as_of`` (every merger when it has none): see :func:`apply_mergers`;
    :meth:`as_of` gives the view at another date, :meth:`source_tables` the unmerged
    tables.

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
                 metadata: Mapping[str, Any] | None = None, *, validated: bool = False,
                 merge: bool = True):
        if not validated:
            entities, commitments = coerce_tables(
                entities, commitments, Locator("entities"), Locator("commitments"))
        meta = dict(metadata or {})
        meta.setdefault("currency", "USD")
        meta.setdefault("unit", "billions")
        #: the unmerged source tables when the network has mergers (network format v2)
        self._source: tuple[pd.DataFrame, pd.DataFrame] | None = None
        #: merged id -> (surviving id, merged_on) applied in this view
        self.mergers: dict[str, tuple[str, str | None]] = {}
        #: ids of commitments internal to a merged firm, left out of this view
        self.merged_internal: tuple[str, ...] = ()
        if merge and _has_mergers(entities):
            self._source = (entities, commitments)
            day = date_floor(meta["as_of"]) if meta.get("as_of") else None
            entities, commitments, self.mergers, self.merged_internal = apply_mergers(
                entities, commitments, day)
        self._entities = entities
        self._commitments = commitments
        self.metadata: dict[str, Any] = meta
        #: the filters that produced this network (see :meth:`select`), or None
        self.selection: dict[str, Any] | None = None

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_frames(cls, entities: pd.DataFrame | None, commitments: pd.DataFrame | None = None,
                    **metadata: Any) -> "Network":
        """Build a network from two DataFrames (validated like files are).

        ``entities`` may be None: the entities are then the ids that appear as payer or
        payee, with figures unknown. Column-mapping keywords (``payer=``, ``amount=``,
        ``kind=`` ...) are those of :func:`finflow.io.frames.from_frames`, which takes
        the commitments first; other keywords are metadata.
        """
        from .io.frames import from_frames
        return from_frames(commitments, entities, **metadata)

    @classmethod
    def read(cls, path: str | Path, format: str | None = None) -> "Network":
        """Read a network folder (CSV or Parquet tables) or a node-link JSON / GraphML /
        GEXF file."""
        ent, com, meta = read_any(path, format)
        meta = dict(meta)
        meta["path"] = str(path)
        return cls(ent, com, meta, validated=True)

    def save(self, path: str | Path, format: str | None = None, overwrite: bool = False) -> Path:
        """Write the network: ``format`` is ``folder`` (CSV tables; the default for a
        path without a suffix), ``parquet`` (a folder with ``entities.parquet`` and
        ``commitments.parquet``: typed columns, read back in a fraction of the time),
        ``json`` (networkx node-link), ``graphml`` or ``gexf``. Existing files are never
        replaced unless ``overwrite`` is true."""
        ent, com = self.source_tables()
        return write_any(ent, com, self.metadata, path, format, overwrite=overwrite)

    def source_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(entities, commitments) before any merger: the rows of this view with their
        original payer and payee, plus the rows internal to a merged firm."""
        if self._source is None:
            return self._entities, self._commitments
        src_ent, src_com = self._source
        keep = set(self._commitments["id"].astype(str)) | set(self.merged_internal)
        return src_ent, src_com[src_com["id"].astype(str).isin(keep)].reset_index(drop=True)

    def _derive(self, commitments: pd.DataFrame, selection: dict[str, Any]) -> "Network":
        net = Network(self._entities, commitments.reset_index(drop=True), self.metadata,
                      validated=True, merge=False)
        net._source, net.mergers, net.merged_internal = (self._source, self.mergers,
                                                         self.merged_internal)
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

    def external_mask(self) -> np.ndarray:
        """Boolean array over :attr:`index`: the *external holders* (network format v2).

        An external holder (asset-manager funds, the bond or equity market, bank
        syndicates) takes losses (the contagion models report its loss amount), never
        defaults, does not propagate and needs no equity. The ``external`` entity column
        says so (true/false); an empty cell means false, except for type ``market``,
        external by default. (Computed once per network; a fresh copy is returned.)
        """
        return self.derived("external", self._external_flags).copy()

    def _external_flags(self) -> np.ndarray:
        from .io.checks import external_flags
        return external_flags(self._entities)

    def holder_classes(self) -> pd.Series:
        """Each entity's holder class (:data:`finflow.kinds.HOLDER_CLASSES`), indexed by
        id: the ``holder_class`` column, else the default of its type
        (:data:`finflow.kinds.DEFAULT_HOLDER_CLASS`). (Computed once per network; a
        fresh copy is returned.)"""
        return self.derived("holder_classes", self._holder_classes).copy()

    def _holder_classes(self) -> pd.Series:
        ent = self._entities
        types = ent["type"] if "type" in ent else pd.Series([None] * self.n)
        given = ent["holder_class"] if "holder_class" in ent else pd.Series([None] * self.n)
        # the rule of holder_class_of, applied once per distinct (type, class) pair
        tc, tu = pd.factorize(types.astype(object), use_na_sentinel=True)
        hc, hu = pd.factorize(given.astype(object), use_na_sentinel=True)
        tc = np.where(tc < 0, len(tu), tc)
        hc = np.where(hc < 0, len(hu), hc)
        pair, inv = np.unique(tc * (len(hu) + 1) + hc, return_inverse=True)
        table = np.array([holder_class_of(tu[t] if t < len(tu) else None,
                                          hu[h] if h < len(hu) else None)
                          for t, h in zip(pair // (len(hu) + 1), pair % (len(hu) + 1))],
                         dtype=object)
        return pd.Series(table[inv.ravel()] if len(pair) else np.array([], dtype=object),
                         index=pd.Index(self.index, name="id"), name="holder_class",
                         dtype=object)

    def entity_vector(self, field: str) -> np.ndarray:
        """A numeric entity field as a float array over :attr:`index` (NaN where missing).
        (Computed once per network and field; a fresh copy is returned.)"""
        if field not in self._entities.columns:
            raise FinflowError(f"entities have no field {field!r}")
        return self.derived(("vector", field), lambda: pd.to_numeric(
            self._entities[field], errors="coerce").to_numpy(dtype=float)).copy()

    # ---- caches ----------------------------------------------------------------------
    # A network is immutable in effect: its tables are never modified after
    # construction (``select``, ``as_of`` and ``_derive`` make new networks, each with
    # caches of its own), so every array derived from them is computed once and kept
    # here, keyed by what selects it (statuses, kinds, LGD table). Nothing invalidates
    # these caches because nothing may change what they were computed from; code that
    # edits ``network.commitments`` or ``network.entities`` in place is unsupported.
    @cached_property
    def _cache(self) -> dict[Any, Any]:
        return {}

    def derived(self, key: Any, build) -> Any:
        """A value derived from the network's tables, computed once by ``build()`` and
        kept under ``key`` (any hashable) for later calls: the tables never change, so
        it never goes stale. Callers must not modify what they get back (hand out
        copies, or make arrays read-only). Analyses use it to keep per-network work
        (an entity column as an array, a lookup) out of every call."""
        cache = self._cache
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def __repr__(self) -> str:
        return (f"<Network {self.name!r}: {self.n} entities, {len(self._commitments)} "
                f"commitments, {self.unit_label}>")

    def _repr_html_(self) -> str:
        """The notebook view: name, counts, unit, as-of date, entity types and the
        commitments by kind (:func:`finflow.display.network_html`)."""
        from .display import network_html
        return network_html(self)

    def to_networkx(self, *, aggregate: bool = False,
                    status: str | Iterable[str] | None = None,
                    kinds: str | Iterable[str] | None = None) -> nx.MultiDiGraph | nx.DiGraph:
        """The network as a networkx graph with single-valued attributes only, so that
        :func:`networkx.write_graphml` and :func:`networkx.write_gexf` take it:
        :func:`finflow.interop.to_networkx` (``aggregate=True``: the money-flow DiGraph).

        Parameters
        ----------
        aggregate : bool
            False: a MultiDiGraph, one edge per commitment keyed by its id; True: a
            DiGraph, one edge per payer -> payee pair, ``weight`` = the summed amount.
        status, kinds : optional
            Which commitments (see :func:`finflow.interop.to_networkx`).
        """
        from .interop import to_networkx
        return to_networkx(self, aggregate=aggregate, status=status, kinds=kinds)

    # ---- filters ----------------------------------------------------------------------
    def mask(self, status: str | Iterable[str] | None = None,
             kinds: str | Iterable[str] | None = None, *, counted: bool = True) -> np.ndarray:
        """Boolean mask over commitments: status and kind selected and, when ``counted``,
        a known amount and ``in_totals`` true.

        Computed from the integer codes of the ``status`` and ``kind`` columns
        (:attr:`_codes`) and kept per selection; a fresh copy is returned."""
        statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
        return self._mask(statuses, kind_list, counted).copy()

    def _mask(self, statuses: tuple[str, ...], kind_list: tuple[str, ...],
              counted: bool = True) -> np.ndarray:
        """:meth:`mask` for resolved filters, shared (read-only): do not modify."""
        key = ("mask", frozenset(statuses), frozenset(kind_list), bool(counted))
        cache = self._cache
        if key not in cache:
            c = self._codes
            m = _lookup(c["status_uniques"], set(statuses), False)[c["status"]]
            m &= _lookup(c["kind_uniques"], set(kind_list), False)[c["kind"]]
            if counted:
                m &= c["counted"]
            m.flags.writeable = False
            cache[key] = m
        return cache[key]

    @cached_property
    def _codes(self) -> dict[str, Any]:
        """The ``kind`` and ``status`` columns as integer codes (``pandas.factorize``:
        -1 where missing) with their distinct values, and the ``counted`` rows (a known
        amount and ``in_totals`` true), computed once: every mask and matrix is built
        from these instead of comparing strings."""
        com = self._commitments
        kind, kind_u = pd.factorize(com["kind"], use_na_sentinel=True)
        status, status_u = pd.factorize(com["status"], use_na_sentinel=True)
        counted = com["amount"].notna().to_numpy(dtype=bool) & \
            com["in_totals"].astype(bool).to_numpy(dtype=bool)
        return {"kind": kind, "kind_uniques": [str(u) for u in kind_u],
                "status": status, "status_uniques": [str(u) for u in status_u],
                "counted": counted}

    def select(self, status: str | Iterable[str] | None = None,
               kinds: str | Iterable[str] | None = None,
               as_of: str | _dt.date | None = None) -> "Network":
        """A network with only the commitments of the given statuses and kinds (entities
        and the node index are unchanged); ``as_of`` first applies :meth:`as_of`."""
        net = self.as_of(as_of) if as_of is not None else self
        statuses = resolve_statuses(status)
        kind_list = resolve_kinds(kinds)
        m = net._mask(statuses, kind_list, counted=False)
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
        Mergers apply as of ``date`` (:func:`apply_mergers`): an entity merged on or
        before it is folded into the survivor; before, it stands alone.
        """
        try:
            day = date_floor(date)
        except FinflowError as exc:
            raise FinflowError(f"as of: {exc}") from None
        if day is None:
            raise FinflowError(f"as of: {date!r} is not a date")
        ts = pd.Timestamp(day)
        src_ent, com = self.source_tables()
        announced = floor_series(com["announced"])
        lapsed = floor_series(com["lapsed_on"])
        keep = (announced.isna() | (announced <= ts)) & ~(lapsed.notna() & (lapsed <= ts))
        out = com[keep.to_numpy()].copy()
        revive = (out["status"] == "lapsed") & floor_series(out["lapsed_on"]).gt(ts).to_numpy()
        if revive.any():
            prior = out.loc[revive, "prior_status"].where(out.loc[revive, "prior_status"].notna(),
                                                          "reported")
            out.loc[revive, "status"] = prior
        if self._source is None:
            net = self._derive(out, {"as_of": day.isoformat()})
        else:
            ent, merged, mergers, internal = apply_mergers(src_ent, out.reset_index(drop=True),
                                                           day)
            net = Network(ent, merged, self.metadata, validated=True, merge=False)
            net._source, net.mergers, net.merged_internal = self._source, mergers, internal
            net.selection = {"as_of": day.isoformat()}
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

    @cached_property
    def _position_index(self) -> pd.Index:
        return pd.Index(self.index)

    def _pos(self, ids: pd.Series) -> np.ndarray:
        # distinct ids first: a million rows name far fewer entities
        codes, uniques = pd.factorize(ids, use_na_sentinel=True)
        where = np.append(self._position_index.get_indexer(uniques), -1)
        return where[codes]

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        """Per-commitment arrays over the whole table, computed once: endpoints as
        matrix positions, amounts, and each row's claim (holder, obligor, base amount,
        whether it is an obligation, whether it carries a claim). Read-only."""
        com = self._commitments
        c = self._codes
        amount = com["amount"].to_numpy(dtype=float)
        funded = com["funded"].to_numpy(dtype=float)
        payer = self._pos(com["payer"])
        payee = self._pos(com["payee"])
        ku, kc = c["kind_uniques"], c["kind"]

        def per_kind(fn, missing):
            return np.array([fn(KINDS[k]) if k in KINDS else missing for k in ku]
                            + [missing])[kc]
        # per-kind flags as numbers (comparing a million strings would cost more)
        is_stake = per_kind(lambda v: v.basis == "stake", False).astype(bool)
        no_basis = per_kind(lambda v: not v.basis, True).astype(bool)
        on_payee = per_kind(lambda v: v.exposed == "payee", False).astype(bool)
        stake = np.where(np.isnan(funded), amount, funded)
        unpaid = np.clip(amount - np.nan_to_num(funded, nan=0.0), 0.0, None)
        base = np.where(is_stake, stake, unpaid)
        base = np.where(no_basis, 0.0, base)
        out = {
            "payer": payer, "payee": payee, "amount": amount, "base": base,
            "holder": np.where(on_payee, payee, payer),
            "obligor": np.where(on_payee, payer, payee),
            "owes": per_kind(lambda v: v.obligation is not None, False).astype(bool),
            "claim": per_kind(lambda v: v.exposed is not None, False).astype(bool),
        }
        for v in out.values():
            v.flags.writeable = False
        return out

    def _lgd_factor(self, table: Mapping[str, float]) -> np.ndarray:
        """Each commitment's LGD under ``table`` (NaN for a kind it lacks)."""
        c = self._codes
        return np.array([float(table[k]) if k in table else np.nan
                         for k in c["kind_uniques"]] + [np.nan])[c["kind"]]

    def _matrix(self, key: tuple, build) -> sp.csr_array:
        cache = self._cache
        if key not in cache:
            m = build()
            for arr in (m.data, m.indices, m.indptr):
                arr.flags.writeable = False
            cache[key] = m
        return cache[key]

    @staticmethod
    def _out(m: sp.csr_array, copy: bool) -> sp.csr_array:
        if not copy:
            return m
        out = sp.csr_array((m.data.copy(), m.indices.copy(), m.indptr.copy()), shape=m.shape)
        out.has_canonical_format = m.has_canonical_format
        return out

    def endpoints(self, status: str | Iterable[str] | None = None,
                  kinds: str | Iterable[str] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The counted commitments of a selection as integer arrays: their row numbers
        in :attr:`commitments`, and their payer and payee matrix positions (over
        :attr:`index`); the rows behind :meth:`flow_matrix`. Read-only, kept per
        selection."""
        statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)

        def build():
            m = self._mask(statuses, kind_list)
            rows = np.flatnonzero(m)
            out = (rows, self._arrays["payer"][rows], self._arrays["payee"][rows])
            for v in out:
                v.flags.writeable = False
            return out
        return self.derived(("endpoints", frozenset(statuses), frozenset(kind_list)), build)

    def flow_matrix(self, status: str | Iterable[str] | None = None,
                    kinds: str | Iterable[str] | None = None, *,
                    copy: bool = True) -> sp.csr_array:
        """F as a sparse n x n matrix: F[i, j] = sum of amounts i pays j (selected rows).

        Built once per selection and kept on the network; ``copy=False`` returns the
        kept matrix itself, read-only (its arrays are not writeable), to save the copy.
        """
        statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)

        def build():
            m = self._mask(statuses, kind_list)
            a = self._arrays
            return self._sparse(a["payer"][m], a["payee"][m], a["amount"][m])
        return self._out(self._matrix(("F", frozenset(statuses), frozenset(kind_list)),
                                      build), copy)

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
        m = self._mask(resolve_statuses(status), resolve_kinds(kinds)) & a["claim"]
        rows = np.flatnonzero(m)
        ids = np.asarray(self.index, dtype=object)
        factor = self._lgd_factor(table)[rows]
        return pd.DataFrame({
            "commitment": com["id"].to_numpy(dtype=object)[rows],
            "holder": ids[a["holder"][rows]], "obligor": ids[a["obligor"][rows]],
            "holder_pos": a["holder"][rows], "obligor_pos": a["obligor"][rows],
            "kind": com["kind"].to_numpy(dtype=object)[rows],
            "status": com["status"].to_numpy(dtype=object)[rows],
            "base": a["base"][rows], "lgd": factor, "exposure": a["base"][rows] * factor,
        })

    def exposure_matrix(self, lgd: Mapping[str, float] | Iterable[str] | str | None = None,
                        status: str | Iterable[str] | None = None,
                        kinds: str | Iterable[str] | None = None, *,
                        copy: bool = True) -> sp.csr_array:
        """The exposure matrix E: ``E[i, j]`` = what ``i`` loses if ``j`` defaults.

        E[i, j] = sum over the claims of i on j of remaining amount x LGD(kind), where the
        claim holder is given by the kind (:mod:`finflow.kinds`) and the remaining amount
        is ``funded`` (or ``amount`` when unknown) for stakes and loans, and
        ``amount - funded`` for future flows (purchase, compute, lease) and backstops.
        ``other`` carries no claim. ``lgd`` overrides the default LGDs per kind.

        Built once per (LGD table, statuses, kinds) and kept on the network;
        ``copy=False`` returns the kept matrix itself, read-only.
        """
        table = self.lgd(lgd)
        statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)

        def build():
            m = self._mask(statuses, kind_list)
            a = self._arrays
            factor = self._lgd_factor(table)[m]
            return self._sparse(a["holder"][m], a["obligor"][m], a["base"][m] * factor)
        key = ("E", tuple(sorted(table.items())), frozenset(statuses), frozenset(kind_list))
        return self._out(self._matrix(key, build), copy)

    def obligation_matrix(self, status: str | Iterable[str] | None = None,
                          kinds: str | Iterable[str] | None = None, *,
                          copy: bool = True) -> sp.csr_array:
        """The obligation matrix L: ``L[i, j]`` = nominal amount ``i`` owes ``j``.

        A loan, bond or credit makes the borrower (payee) owe the lender (payer) the
        principal (``funded``, or ``amount`` when unknown); a purchase, compute or lease
        contract makes the buyer (payer) owe the seller (payee) the unpaid remainder
        (``amount - funded``). Equity, warrants, backstops (contingent) and ``other`` owe
        nothing. Used by Eisenberg-Noe clearing. Built once per selection and kept on
        the network; ``copy=False`` returns the kept matrix itself, read-only.
        """
        statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)

        def build():
            a = self._arrays
            m = self._mask(statuses, kind_list) & a["owes"]
            # the creditor is the claim holder; the debtor is the obligor
            return self._sparse(a["obligor"][m], a["holder"][m], a["base"][m])
        return self._out(self._matrix(("L", frozenset(statuses), frozenset(kind_list)),
                                      build), copy)

    def _sparse(self, i: np.ndarray, j: np.ndarray, v: np.ndarray) -> sp.csr_array:
        keep = np.isfinite(v) & (v != 0)
        m = sp.coo_array((v[keep], (i[keep], j[keep])), shape=(self.n, self.n)).tocsr()
        m.sum_duplicates()
        return m


def load(path: str | Path, format: str | None = None, *, delimiter: str | None = None,
         encoding: str | None = None, columns: Mapping[str, str] | str | None = None
         ) -> Network:
    """Load a network from a folder (``entities.csv``, ``commitments.csv``, optional
    ``network.yaml``), a node-link JSON / GraphML / GEXF file, or a single commitments
    file (CSV, TSV, ``;``-CSV, .xlsx, Parquet; ``"-"``: standard input); a bundled
    network's name (see :func:`finflow.bundled`) also works.

    Parameters
    ----------
    path : str or Path
        The folder or file, or the name of a bundled network.
    format : {"folder", "json", "graphml", "gexf"}, optional
        The format of ``path``; by default from its suffix (a folder is a folder).
    delimiter : str, optional
        The CSV delimiter, one character (``","``, ``";"``, ``"|"``, ``"\t"``); by
        default sniffed from the header line (tab for ``.tsv``).
    encoding : str, optional
        The text encoding of CSV input (default UTF-8, with a byte-order mark honoured).
    columns : mapping or str, optional
        Your column names for finflow's fields, ``{"payer": "from", ...}`` or
        ``"payer=from,payee=to,amount=usd_bn,kind=type"``
        (:func:`finflow.io.sources.read_source`).

    Returns
    -------
    Network

    Raises
    ------
    NetworkFileError
        Listing every problem found in the files (``file:line: field: problem``).
    """
    p = Path(path)
    if str(path) != "-" and not p.exists():
        from .data import bundled_path
        bp = bundled_path(str(path), missing_ok=True)
        if bp is not None:
            return Network.read(bp)
    if format is not None:
        return Network.read(p, format)
    from .io.sources import read_source
    return read_source(path, delimiter=delimiter, encoding=encoding, columns=columns)
