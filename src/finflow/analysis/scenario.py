"""What every contagion model needs from a network: the shock, the capital vector under a
missing-equity rule, the exposure matrix, and the ``cancel-nonbinding`` scenario.

The models themselves are in :mod:`finflow.analysis.contagion`; this module turns a
network and the user's shock into arrays over ``network.index`` and checks the input
(unknown ids, fractions outside [0, 1], entities without equity), raising
:class:`~finflow.errors.FinflowError` / :class:`~finflow.errors.MissingDataError` with a
message that says what to do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import FinflowError, MissingDataError
from ..kinds import NONBINDING_STATUSES, resolve_kinds, resolve_lgd, resolve_statuses
from ..model import Network

__all__ = ["MODELS", "MISSING_EQUITY_RULES", "DEFAULT_RULES", "OUTSIDE_DEBT_RULES",
           "Scenario", "parse_shock", "prepare"]

#: model names, in the order of side-by-side tables
MODELS = ("cascade", "debtrank", "linear-debtrank", "eisenberg-noe")
MISSING_EQUITY_RULES = ("error", "skip", "zero")
DEFAULT_RULES = (">=", ">")
OUTSIDE_DEBT_RULES = ("pari_passu", "senior", "ignore")


def _ids(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [p.strip() for it in items for p in str(it).split(",") if p.strip()]


def parse_shock(network: Network, defaults: str | Iterable[str] | None = None,
                shocks: Mapping[str, float] | Iterable[str] | str | None = None
                ) -> dict[str, float]:
    """The shock as ``{id: fraction of equity lost}``, 1.0 meaning the entity defaults.

    ``defaults`` are ids (``["openai"]`` or ``"openai,xai"``); ``shocks`` a mapping
    ``{id: fraction}`` or CLI-style ``"ID=FRACTION"`` items. Every unknown id and every
    fraction outside [0, 1] is reported in one error. A default wins over a shock on the
    same entity.

    >>> import finflow
    >>> parse_shock(finflow.load_default(), ["openai"], ["oracle=0.25"])
    {'openai': 1.0, 'oracle': 0.25}
    """
    out: dict[str, float] = {k: 1.0 for k in _ids(defaults)}
    problems: list[str] = []
    if shocks is not None:
        if isinstance(shocks, Mapping):
            pairs = [(str(k), v) for k, v in shocks.items()]
        else:
            pairs = []
            for part in _ids(shocks):
                if "=" not in part:
                    problems.append(f"--shock expects ID=FRACTION, got {part!r}")
                    continue
                k, v = part.split("=", 1)
                pairs.append((k.strip(), v.strip()))
        for k, v in pairs:
            try:
                x = float(v)
            except (TypeError, ValueError):
                problems.append(f"--shock {k}: {v!r} is not a number")
                continue
            if not 0.0 <= x <= 1.0:
                problems.append(f"--shock {k}: {x} is outside [0, 1] (a fraction of equity)")
                continue
            if out.get(k) != 1.0 or k not in _ids(defaults):
                out[k] = x
    unknown = [k for k in out if k not in network.position]
    if unknown:
        merged = [f"{k} merged into {network.mergers[k][0]}"
                  + (f" on {network.mergers[k][1]}" if network.mergers[k][1] else "")
                  for k in unknown if k in getattr(network, "mergers", {})]
        problems.insert(0, f"unknown entity id{'s' if len(unknown) > 1 else ''} in the shock: "
                        f"{', '.join(unknown)} (see `finflow show` for the ids"
                        + (f"; {'; '.join(merged)}" if merged else "") + ")")
    if problems:
        raise FinflowError("; ".join(problems))
    return out


@dataclass
class Scenario:
    """A network and a shock as arrays over ``network.index`` (internal)."""

    network: Network
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    lgd: dict[str, float]
    ids: tuple[str, ...]
    names: np.ndarray
    types: np.ndarray
    equity: np.ndarray            #: book equity as given (NaN when missing)
    capital: np.ndarray           #: capital used (NaN: no relative loss; external or skipped)
    external: np.ndarray          #: external holders (Network.external_mask)
    skipped: tuple[str, ...]
    zeroed: tuple[str, ...]
    negative: tuple[str, ...]
    forced: np.ndarray            #: defaulted by the shock (--default)
    user_fraction: np.ndarray     #: --shock fraction (0 where none)
    initial_loss: np.ndarray      #: amount lost at the start (shock + cancelled claims)
    shock: dict[str, float]
    missing_equity: str
    cancel_nonbinding: bool
    cancelled: pd.DataFrame | None
    cancelled_statuses: tuple[str, ...] = ()
    extra_capital: np.ndarray | None = field(default=None)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def modelled(self) -> np.ndarray:
        return np.isfinite(self.capital)

    def fraction(self) -> np.ndarray:
        """Initial relative loss, uncapped (inf: positive loss on zero capital)."""
        cap = self.capital
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(self.initial_loss > 0, self.initial_loss / cap, 0.0)
        f = np.where(self.modelled, f, 0.0)
        return np.where(self.forced, np.maximum(f, 1.0), f)

    def exposure(self) -> sp.csr_array:
        """E over the kept statuses (empty when none is left)."""
        if not self.statuses:
            return sp.csr_array((self.n, self.n))
        # the network's kept matrix, read-only: the models never modify it
        return self.network.exposure_matrix(self.lgd, self.statuses, self.kinds, copy=False)

    def obligations(self, kinds: Iterable[str] | None = None) -> sp.csr_array:
        """L over the kept statuses and the given kinds (empty when none is left)."""
        sel = self.kinds if kinds is None else tuple(k for k in self.kinds if k in set(kinds))
        if not self.statuses or not sel:
            return sp.csr_array((self.n, self.n))
        return self.network.obligation_matrix(self.statuses, sel, copy=False)

    def base_conventions(self) -> dict[str, Any]:
        conv: dict[str, Any] = {
            "statuses": list(self.statuses),
            "kinds": list(self.kinds),
            "lgd": {k: v for k, v in self.lgd.items() if k in self.kinds and k != "other"},
            "shock": "fraction of book equity lost at the start; --default = the entity "
                     "defaults (1.0)",
            "missing_equity": self.missing_equity,
            "external": "external holders (the external flag; type market by default) "
                        "take losses (their loss amount is reported, by holder class), "
                        "never default, do not propagate and need no equity",
            "cancel_nonbinding": self.cancel_nonbinding,
        }
        if self.cancel_nonbinding:
            conv["cancelled_statuses"] = list(self.cancelled_statuses)
        return conv


def _labels(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """(types, names) of the entities as read-only arrays (computed once a network)."""
    ents = network.entities
    types = ents["type"].fillna("other").astype(str).to_numpy() if "type" in ents else \
        np.full(network.n, "other", dtype=object)
    names = ents["name"].fillna(ents["id"]).astype(str).to_numpy() if "name" in ents else \
        np.asarray(network.index, dtype=object)
    for a in (types, names):
        a.flags.writeable = False
    return types, names


def prepare(network: Network, defaults=None, shocks=None, *, lgd=None, status=None,
            kinds=None, missing_equity: str | None = None, cancel_nonbinding: bool = False,
            has_capital: np.ndarray | None = None, require_shock: bool = True) -> Scenario:
    """Build a :class:`Scenario`: check the shock and the equity figures, apply the
    missing-equity rule and, with ``cancel_nonbinding``, the non-binding scenario.

    ``has_capital`` marks entities that may lack equity without an error (Eisenberg-Noe
    can value an entity from its ``external_assets``)."""
    shock = parse_shock(network, defaults, shocks)
    if require_shock and not shock and not cancel_nonbinding:
        raise FinflowError("no shock given: name at least one entity with --default ID or "
                           "--shock ID=FRACTION, or use --cancel-nonbinding")
    rule = missing_equity or network.metadata.get("missing_equity") or "error"
    rule = str(rule).strip().lower()
    if rule not in MISSING_EQUITY_RULES:
        raise FinflowError(f"missing equity rule must be one of {', '.join(MISSING_EQUITY_RULES)}, "
                           f"not {rule!r}")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    lgd_table = network.lgd(lgd)
    ids = network.index
    ents = network.entities
    types, names = network.derived(("scenario", "labels"), lambda: _labels(network))
    external = network.external_mask()
    equity = network.entity_vector("equity") if "equity" in ents else np.full(network.n, np.nan)
    n = network.n
    forced = np.zeros(n, dtype=bool)
    frac = np.zeros(n)
    for k, v in shock.items():
        i = network.position[k]
        if v >= 1.0:
            forced[i] = True
        else:
            frac[i] = v
    bad_ext = [k for k in shock if external[network.position[k]]]
    if bad_ext:
        raise FinflowError(f"{', '.join(bad_ext)}: an external holder (the external flag, "
                           "or type market) never defaults and cannot be shocked")
    known = np.isfinite(equity)
    excused = known | external | forced
    if has_capital is not None:
        excused = excused | has_capital
    lacking = [ids[i] for i in np.flatnonzero(~excused)]
    partial = [k for k, v in shock.items() if v < 1.0 and not known[network.position[k]]
               and not (has_capital is not None and has_capital[network.position[k]])]
    if rule == "error" and lacking:
        raise MissingDataError(
            "equity", lacking,
            "Contagion models need book equity as the loss-absorbing buffer: add it to "
            "entities.csv, or pass --missing-equity skip (treat them as external: they "
            "never default) or --missing-equity zero (no buffer: any loss defaults them); "
            "library: missing_equity='skip'|'zero', or `missing_equity: skip` in network.yaml")
    if partial:
        raise FinflowError(f"{', '.join(partial)}: no equity figure, so a fractional shock "
                           "has no meaning; use --default for these entities or give them "
                           "equity")
    capital = np.where(known, np.maximum(equity, 0.0), np.nan)
    negative = tuple(ids[i] for i in np.flatnonzero(known & (equity < 0)))
    missing = ~known & ~external
    if has_capital is not None:
        missing &= ~has_capital
    skipped: tuple[str, ...] = ()
    zeroed: tuple[str, ...] = ()
    if rule == "zero":
        capital = np.where(missing & ~forced, 0.0, capital)
        zeroed = tuple(ids[i] for i in np.flatnonzero(missing & ~forced))
    else:
        skipped = tuple(ids[i] for i in np.flatnonzero(missing & ~forced))
    capital = np.where(external, np.nan, capital)
    initial = np.where(np.isfinite(capital), frac * np.nan_to_num(capital), 0.0)

    cancelled = None
    cancelled_statuses: tuple[str, ...] = ()
    if cancel_nonbinding:
        cancelled_statuses = tuple(s for s in statuses if s in NONBINDING_STATUSES)
        kept = tuple(s for s in statuses if s not in NONBINDING_STATUSES)
        lost = np.zeros(n)
        rows_table = []
        if cancelled_statuses:
            cl = network.claims(cancelled_statuses, kind_list, lgd_table)
            cl = cl[np.isfinite(cl["exposure"]) & (cl["exposure"] > 0)]
            np.add.at(lost, cl["holder_pos"].to_numpy(), cl["exposure"].to_numpy())
            for r in cl.itertuples(index=False):
                rows_table.append((r.holder, r.obligor, r.commitment, r.kind, r.status,
                                   float(r.exposure)))
        initial = initial + lost
        per = pd.DataFrame(rows_table, columns=["holder", "on", "commitment", "kind", "status",
                                                "lost"])
        cancelled = per
        statuses = kept
    return Scenario(
        network=network, statuses=tuple(statuses), kinds=kind_list, lgd=lgd_table, ids=ids,
        names=names, types=types, equity=equity, capital=capital, external=external,
        skipped=skipped, zeroed=zeroed, negative=negative, forced=forced,
        user_fraction=frac, initial_loss=initial, shock=shock, missing_equity=rule,
        cancel_nonbinding=cancel_nonbinding, cancelled=cancelled,
        cancelled_statuses=cancelled_statuses)
