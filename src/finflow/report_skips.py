"""What a report leaves out, and what would put it back (issue 20: no silent ceiling).

Every analysis that ``finflow report`` does not run, or that an analysis itself gave up
(a size limit, missing data, an option), becomes one :class:`Skip`: the section, the
analysis, the reason and the option or the data that would run it. The analyses say
what they skipped in a ``skipped`` mapping (key -> reason, the message of the limit they
hit); this module reads those generically, so a limit that changes its value or its
wording still reaches the report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from .model import Network

__all__ = ["Skip", "has_no_equity", "equity_data", "analysis_skips", "LIMIT_OPTIONS"]


@dataclass(frozen=True)
class Skip:
    """One analysis the report left out.

    Attributes
    ----------
    section : str
        The report section (the results.json key: ``cycles``, ``rank``, ...).
    analysis : str
        What was left out, in words.
    reason : str
        Why.
    to_run : str
        The option or the data that would run it.
    """

    section: str
    analysis: str
    reason: str
    to_run: str

    def sentence(self) -> str:
        """``"<analysis> skipped: <reason>. To run it: <to_run>."``"""
        reason = self.reason.rstrip(". ")
        return f"{self.analysis} skipped: {reason}. To run it: {self.to_run.rstrip('.')}."

    def to_dict(self) -> dict[str, str]:
        return {"section": self.section, "analysis": self.analysis, "reason": self.reason,
                "to_run": self.to_run}


def has_no_equity(network: Network) -> bool:
    """True when no entity that can absorb a loss (not an external holder) has a book
    equity figure: the contagion models have no buffer to work with."""
    if "equity" not in network.entities.columns:
        return True
    equity = network.entity_vector("equity")
    inside = ~network.external_mask()
    return not bool(np.isfinite(equity[inside]).any()) if inside.any() else False


def equity_data(network: Network) -> str:
    """The data that fills the equity sections, in the network's unit."""
    return (f"add an `equity` column to entities.csv (book equity, in "
            f"{network.unit_label}), or pass --missing-equity zero (no loss buffer: any "
            "loss defaults an entity)")


#: (section, skipped key) -> (what was left out, the report option that sets its limit)
LIMIT_OPTIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("cycles", "decomposition"): ("Balanced flow forwarding (bff_circular_share and each "
                                  "entity's self-financed share)", "--bff-max"),
    ("cycles", "finn"): ("Finn cycling index", "--finn-max"),
    ("uncertainty", "cycles"): ("Cycle figures of the uncertainty bands", None),
    ("uncertainty", "contagion"): ("Contagion and ranking figures of the uncertainty "
                                   "bands", None),
    ("uncertainty.null_model", "cycles"): ("Cycle statistics of the null model", None),
}

_SIZE = re.compile(r"([\d][\d,]*) (?:entities|nodes)")


def _option_value(reason: str) -> str:
    """The size a limit must reach to run, read from the analysis's message ("45,000
    entities lie on cycles"), as a number for the option; "N" when it says none."""
    m = _SIZE.search(reason)
    return m.group(1).replace(",", "") if m else "N"


def _skips_of(section: str, skipped: Mapping[str, Any], network: Network,
              no_equity: bool) -> list[Skip]:
    out = []
    for key, why in skipped.items():
        what, option = LIMIT_OPTIONS.get((section, str(key)), (str(key).replace("_", " ")
                                                                  .capitalize(), None))
        reason = str(why)
        if option is not None:
            to_run = f"{option} {_option_value(reason)} (finflow report)"
        elif key == "contagion" and no_equity:
            reason = "no entity has a book equity figure"
            to_run = equity_data(network)
        elif "cycle" in str(key):
            to_run = ("the library's cycle_limit=N (finflow.uncertainty / null_model) or "
                      "a lower --max-length in finflow uncertainty")
        else:
            to_run = "see the reason"
        out.append(Skip(section.split(".")[0], what, reason, to_run))
    return out


def analysis_skips(sections: Mapping[str, Any], network: Network,
                   no_equity: bool = False) -> list[Skip]:
    """Every skip the analyses recorded themselves: a ``skipped`` mapping on a section's
    result (or on a result it holds, such as the uncertainty's null model), and the
    concentration's note when the self-financed share was not computed."""
    out: list[Skip] = []
    for section, result in sections.items():
        results: Iterable[tuple[str, Any]] = (
            [(section, r) for r in result.values()] if isinstance(result, Mapping)
            else [(section, result)])
        for name, res in results:
            skipped = getattr(res, "skipped", None)
            if isinstance(skipped, Mapping) and skipped:
                out += _skips_of(name, skipped, network, no_equity)
            null = getattr(res, "null_model", None)
            nskip = getattr(null, "skipped", None)
            if isinstance(nskip, Mapping) and nskip:
                out += _skips_of(f"{name}.null_model", nskip, network, no_equity)
    conc = sections.get("concentration")
    note = (getattr(conc, "network", None) or {}).get("self_financed_note") \
        if conc is not None else None
    if note:
        out.append(Skip("concentration", "Self-financed share in the dependence table",
                        str(note), f"--bff-max {_option_value(str(note))} (finflow report) "
                        "puts it in the cycles section's entities table"))
    return out
