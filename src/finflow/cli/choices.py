"""The library's choices, defaults and limits that the command line's options show (in
``--help``, as ``click.Choice`` lists, as defaults and ranges).

They are copies: the modules that define them import pandas, numpy or scipy, and building
a command's options must not (``finflow COMMAND --help`` and Tab completion start in a
fraction of a second). tests/test_startup.py checks that every copy equals the
library's own, so a change there fails the suite until it is made here too.
"""
from __future__ import annotations

__all__ = ["SOURCES"]

# finflow.generate
MAX_SEED = 2**63 - 1
MAX_ENTITIES = 10_000_000
MAX_COMMITMENTS = 10_000_000
# finflow.io.tables
YEAR_RANGE = (1678, 2261)
# finflow.render
FORMATS = ("table", "markdown", "json", "csv")
# finflow.analysis.circularity, .decomposition, .flowmeasures
COUNT_LIMIT = 10_000
MEASURES = ("circulation", "netting", "decomposition", "finn", "hodge", "cores",
            "entity_cycles")
DEFAULT_MAX_CYCLE_ENTITIES = 3000
FINN_MAX_COMPONENT = 4_000
# finflow.analysis.scenario
MODELS = ("cascade", "debtrank", "linear-debtrank", "eisenberg-noe")
MISSING_EQUITY_RULES = ("error", "skip", "zero")
OUTSIDE_DEBT_RULES = ("pari_passu", "senior", "ignore")
# finflow.analysis.stress (keys of its tables, and the funding rules' descriptions)
STRESS_MODELS = ("cascade", "liquidity")
SENIORITY = ("absolute", "pari-passu")
HOLDER_CLASSES = ("chipmakers", "hyperscalers", "labs", "neoclouds", "spvs", "banks",
                  "credit_funds", "equity_investors", "governments", "other")
FUNDING_RULES = {
    "none": "no new funding: a shortfall is a default",
    "valuation": "up to a share of its valuation each year (valuation:0.1 = 10%; no "
                 "valuation figure, no funding)",
    "last-year": "up to what it raised last year (the equity, loan, bond and credit money "
                 "it received the year before)",
    "unlimited": "any shortfall is funded (a benchmark: nobody defaults for lack of cash)",
}
# finflow.analysis.timeline (names of its schedule rules)
TIMELINE_RULES = ("auto", "even", "annual", "start", "end", "principal", "contingent")
# finflow.analysis.nullmodel, .uncertainty
DEFAULT_MAX_LENGTH = 4
DEFAULT_NULL_SAMPLES = 999
DEFAULT_SWAPS_PER_EDGE = 10.0
DEFAULT_DRAWS = 1000
DEFAULT_SEED = 0
DEFAULT_BFF_DRAWS = 200
DISTRIBUTIONS = ("triangular", "uniform", "fixed")
UNCERTAINTY_SCENARIOS = ("binding-only", "announced", "no-cancelable", "low-amounts",
                         "high-amounts")
# finflow.view
SIZE_BY = ("throughput", "exposure")
# finflow.report_files
TABLE_FORMATS = ("auto", "csv", "parquet")

#: each copy -> (the library module, its name there, how it is compared: "value" or
#: "keys" of a dict); tests/test_startup.py walks this table
SOURCES: dict[str, tuple[str, str, str]] = {
    "MAX_SEED": ("finflow.generate", "MAX_SEED", "value"),
    "MAX_ENTITIES": ("finflow.generate", "MAX_ENTITIES", "value"),
    "MAX_COMMITMENTS": ("finflow.generate", "MAX_COMMITMENTS", "value"),
    "YEAR_RANGE": ("finflow.io.tables", "YEAR_RANGE", "value"),
    "FORMATS": ("finflow.render", "FORMATS", "value"),
    "COUNT_LIMIT": ("finflow.analysis.circularity", "COUNT_LIMIT", "value"),
    "MEASURES": ("finflow.analysis.circularity", "MEASURES", "value"),
    "DEFAULT_MAX_CYCLE_ENTITIES": ("finflow.analysis.decomposition",
                                   "DEFAULT_MAX_CYCLE_ENTITIES", "value"),
    "FINN_MAX_COMPONENT": ("finflow.analysis.flowmeasures", "FINN_MAX_COMPONENT", "value"),
    "MODELS": ("finflow.analysis.scenario", "MODELS", "value"),
    "MISSING_EQUITY_RULES": ("finflow.analysis.scenario", "MISSING_EQUITY_RULES", "value"),
    "OUTSIDE_DEBT_RULES": ("finflow.analysis.scenario", "OUTSIDE_DEBT_RULES", "value"),
    "STRESS_MODELS": ("finflow.analysis.stress", "MODELS", "keys"),
    "SENIORITY": ("finflow.analysis.stress", "SENIORITY", "keys"),
    "HOLDER_CLASSES": ("finflow.analysis.stress", "HOLDER_CLASSES", "value"),
    "FUNDING_RULES": ("finflow.analysis.stress", "FUNDING_RULES", "value"),
    "TIMELINE_RULES": ("finflow.analysis.timeline", "RULES", "keys"),
    "DEFAULT_MAX_LENGTH": ("finflow.analysis.nullmodel", "DEFAULT_MAX_LENGTH", "value"),
    "DEFAULT_NULL_SAMPLES": ("finflow.analysis.nullmodel", "DEFAULT_NULL_SAMPLES", "value"),
    "DEFAULT_SWAPS_PER_EDGE": ("finflow.analysis.nullmodel", "DEFAULT_SWAPS_PER_EDGE",
                               "value"),
    "DEFAULT_DRAWS": ("finflow.analysis.uncertainty", "DEFAULT_DRAWS", "value"),
    "DEFAULT_SEED": ("finflow.analysis.uncertainty", "DEFAULT_SEED", "value"),
    "DEFAULT_BFF_DRAWS": ("finflow.analysis.uncertainty", "DEFAULT_BFF_DRAWS", "value"),
    "DISTRIBUTIONS": ("finflow.analysis.uncertainty", "DISTRIBUTIONS", "value"),
    "UNCERTAINTY_SCENARIOS": ("finflow.analysis.uncertainty", "SCENARIOS", "keys"),
    "SIZE_BY": ("finflow.view", "SIZE_BY", "value"),
    "TABLE_FORMATS": ("finflow.report_files", "TABLE_FORMATS", "value"),
}
