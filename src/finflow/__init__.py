"""finflow: circular financing, exposure concentration and default contagion in
networks of equity stakes, loans, bonds, purchases and cloud contracts.

>>> import finflow
>>> net = finflow.load_default()          # the AI-infrastructure network, 2025-2026
>>> "nvidia" in net.index
True

``import finflow`` is cheap: each public name is imported from its module on first use
(PEP 562 module ``__getattr__``), so that the command line starts without loading
pandas, numpy, scipy or networkx. ``finflow.report``, ``finflow.io`` and the other
public submodules are importable the same way (``finflow.report.build_report`` works
after a plain ``import finflow``).
"""
from __future__ import annotations

import importlib as _importlib
import sys as _sys
import types as _types
from typing import Any as _Any

__version__ = "0.1.0"

#: public name -> the module that defines it. The one table of the public API: ``__all__``,
#: ``dir(finflow)`` and ``docs/api.md`` (``scripts/gen_api.py``) are derived from it.
#: Exporting a new name is one line here (then rerun ``python scripts/gen_api.py``).
_LAZY: dict[str, str] = {
    # errors and vocabulary
    "FinflowError": "finflow.errors",
    "MissingDataError": "finflow.errors",
    "NetworkFileError": "finflow.errors",
    "Problem": "finflow.errors",
    "KINDS": "finflow.kinds",
    "STATUSES": "finflow.kinds",
    "ENTITY_TYPES": "finflow.kinds",
    "resolve_lgd": "finflow.kinds",
    # the network: reading, bundled data, synthetic networks, the explorer
    "Network": "finflow.model",
    "load": "finflow.model",
    # a network from your own tables, a networkx graph or an exposure matrix; out to
    # networkx and Gephi
    "from_frames": "finflow.io.frames",
    "from_networkx": "finflow.interop",
    "from_matrix": "finflow.interop",
    "to_networkx": "finflow.interop",
    "to_gexf": "finflow.interop",
    "load_default": "finflow.data",
    "bundled": "finflow.data",
    "generate": "finflow.generate",
    "view": "finflow.view",
    "view_html": "finflow.view",
    "ViewHTML": "finflow.view",
    "view_data": "finflow.view",
    # analyses
    "overview": "finflow.analysis.overview",
    "throughput": "finflow.analysis.overview",
    "circular_decomposition": "finflow.analysis.decomposition",
    "find_cycles": "finflow.analysis.cycles",
    "count_cycles": "finflow.analysis.cycles",
    "heaviest_cycles": "finflow.analysis.cycles",
    "entity_heaviest_cycles": "finflow.analysis.cycles",
    "max_circulation": "finflow.analysis.circulation",
    "netting": "finflow.analysis.circulation",
    "finn_cycling": "finflow.analysis.flowmeasures",
    "finn_indices": "finflow.analysis.flowmeasures",
    "hodge_decomposition": "finflow.analysis.flowmeasures",
    "trophic_levels": "finflow.analysis.flowmeasures",
    "circular_cores": "finflow.analysis.flowmeasures",
    "circular_financing": "finflow.analysis.circularity",
    "concentration": "finflow.analysis.concentration",
    "schedule": "finflow.analysis.timeline",
    "funding_gap": "finflow.analysis.timeline",
    "timeline_chart_svg": "finflow.timeline_chart",
    "contagion": "finflow.analysis.contagion",
    "threshold_cascade": "finflow.analysis.contagion",
    "debtrank": "finflow.analysis.contagion",
    "linear_debtrank": "finflow.analysis.contagion",
    "eisenberg_noe": "finflow.analysis.contagion",
    "systemic_ranking": "finflow.analysis.ranking",
    "uncertainty": "finflow.analysis.uncertainty",
    "draw_commitments": "finflow.analysis.uncertainty",
    "draw_equity": "finflow.analysis.uncertainty",
    "circularity_significance": "finflow.analysis.nullmodel",
    "diff": "finflow.analysis.diff",
    "stress": "finflow.analysis.stress",
    "stress_scenarios": "finflow.analysis.stress",
    # result classes (what the analyses return)
    "Result": "finflow.results",
    "Overview": "finflow.analysis.overview",
    "Decomposition": "finflow.analysis.decomposition",
    "Cycle": "finflow.analysis.cycles",
    "CycleSet": "finflow.analysis.cycles",
    "MaxCirculation": "finflow.analysis.circulation",
    "Netting": "finflow.analysis.circulation",
    "FinnIndices": "finflow.analysis.flowmeasures",
    "FinnCycling": "finflow.analysis.flowmeasures",
    "HodgeDecomposition": "finflow.analysis.flowmeasures",
    "Cores": "finflow.analysis.flowmeasures",
    "CircularFinancing": "finflow.analysis.circularity",
    "Concentration": "finflow.analysis.concentration",
    "ScheduleResult": "finflow.analysis.timeline",
    "FundingGapResult": "finflow.analysis.timeline",
    "ContagionResult": "finflow.analysis.contagion",
    "ContagionComparison": "finflow.analysis.contagion",
    "RankingResult": "finflow.analysis.ranking",
    "UncertaintyResult": "finflow.analysis.uncertainty",
    "CommitmentDraws": "finflow.analysis.uncertainty",
    "EquityDraws": "finflow.analysis.uncertainty",
    "NullModelResult": "finflow.analysis.nullmodel",
    "DiffResult": "finflow.analysis.diff",
    "StressResult": "finflow.analysis.stress",
    "StressComparison": "finflow.analysis.stress",
}

#: public submodules, importable as attributes (``finflow.report.build_report``); not in
#: ``__all__`` (``from finflow import *`` brings names, not modules)
_SUBMODULES = ("analysis", "charts", "cli", "data", "errors", "io", "kinds", "model",
               "render", "report", "results", "schema", "text", "view_explore")

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> _Any:
    """Import a public name (or submodule) on first use and keep it (PEP 562)."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(_importlib.import_module(module), name)
    elif name in _SUBMODULES:
        value = _importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({"__version__", *_LAZY, *_SUBMODULES})


class _Package(_types.ModuleType):
    """The package's module type: importing a submodule whose name is also a public
    function (``finflow.generate``, ``finflow.view``) binds the function, not the module,
    to the package attribute, as the eager ``from .generate import generate`` did."""

    def __setattr__(self, name: str, value: _Any) -> None:
        if (name in _LAZY and isinstance(value, _types.ModuleType)
                and value.__name__ == f"{__name__}.{name}"):
            value = getattr(_importlib.import_module(_LAZY[name]), name)
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
del annotations  # the __future__ import's binding is no public name
