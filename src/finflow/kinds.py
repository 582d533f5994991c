"""The vocabulary every part of finflow shares: commitment kinds, statuses, entity types.

Direction is always **money: payer -> payee** (who pays or invests -> who receives).
Each kind says which endpoint ends up holding a claim on the other, and therefore who
loses when whom defaults (``../shared/DESIGN.md`` section 2):

========  =====================  ==============  =========================  ============
kind      money at signing        exposed holder  exposure basis             obligation
========  =====================  ==============  =========================  ============
equity    investor -> investee    payer           funded (or amount)         none
warrant   issuer -> holder        payee           funded (or amount)         none
loan      lender -> borrower      payer           funded (or amount)         payee owes payer
bond      lender -> borrower      payer           funded (or amount)         payee owes payer
credit    lender -> borrower      payer           funded (or amount)         payee owes payer
purchase  buyer -> seller         payee           amount - funded (unpaid)   payer owes payee
compute   buyer -> seller         payee           amount - funded (unpaid)   payer owes payee
lease     lessee -> lessor        payee           amount - funded (unpaid)   payer owes payee
backstop  guarantor -> benef.     payee           amount - funded            none (contingent)
other     payer -> payee          nobody          --                         none
========  =====================  ==============  =========================  ============

The loss-given-default (LGD) defaults are *stress assumptions*, not estimates; each has
its rationale in :data:`KINDS` and every analysis that uses them reports the values used.
Override them per kind (``--lgd purchase=0.3`` or ``lgd={"purchase": 0.3}``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from .errors import FinflowError

__all__ = [
    "Kind",
    "KINDS",
    "KIND_NAMES",
    "STATUSES",
    "DEFAULT_STATUSES",
    "NONBINDING_STATUSES",
    "ENTITY_TYPES",
    "CONFIDENCE_LEVELS",
    "HOLDER_CLASSES",
    "DEFAULT_HOLDER_CLASS",
    "EXTERNAL_TYPES",
    "holder_class_of",
    "FINANCING_KINDS",
    "PRODUCT_KINDS",
    "resolve_statuses",
    "resolve_kinds",
    "resolve_lgd",
    "parse_lgd",
    "parse_assignments",
]


@dataclass(frozen=True)
class Kind:
    """One commitment kind and the claim it creates.

    Attributes
    ----------
    name : str
        The token used in files (``equity``, ``loan`` ...).
    exposed : {"payer", "payee", None}
        The endpoint that holds a claim on the other (loses if the other defaults).
    basis : {"stake", "unpaid", "contingent", None}
        The amount at risk: ``stake`` = funded if known, else amount (stakes and loans);
        ``unpaid`` = amount - funded (future flows); ``contingent`` = amount - funded of a
        guarantee not yet called.
    obligation : {"payee", "payer", None}
        Who owes the nominal amount in the obligation matrix L (Eisenberg-Noe):
        ``payee`` (a borrower owes the principal back), ``payer`` (a buyer owes the unpaid
        remainder of the contract) or nobody.
    lgd : float
        Default loss given default, in [0, 1].
    rationale : str
        Why that LGD (a stress assumption, with its reference where one exists).
    """

    name: str
    exposed: str | None
    basis: str | None
    obligation: str | None
    lgd: float
    rationale: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("equity", "payer", "stake", None, 1.0,
             "Equity is first loss: under absolute priority shareholders of a defaulted firm "
             "recover nothing."),
        Kind("warrant", "payee", "stake", None, 1.0,
             "A warrant is an option on the issuer's equity and is worthless when the issuer "
             "defaults."),
        Kind("loan", "payer", "stake", "payee", 0.45,
             "Basel II foundation IRB supervisory LGD for senior unsecured claims "
             "(BCBS 2006, para. 287)."),
        Kind("bond", "payer", "stake", "payee", 0.60,
             "About 40% average recovery on senior unsecured bonds (Moody's annual default "
             "studies), so LGD 0.6."),
        Kind("credit", "payer", "stake", "payee", 0.40,
             "Private credit and SPV financing here is secured (GPUs, data centres): Basel II "
             "foundation IRB LGD* for other physical collateral, 40% (BCBS 2006, para. 295)."),
        Kind("purchase", "payee", "unpaid", "payer", 0.50,
             "Stress assumption: a seller whose buyer defaults can resell only at distressed "
             "prices and carries built inventory; half of the unpaid contract value is lost."),
        Kind("compute", "payee", "unpaid", "payer", 0.50,
             "Stress assumption: capacity built for one customer re-lets slowly and at a "
             "discount; half of the unpaid contract value is lost."),
        Kind("lease", "payee", "unpaid", "payer", 0.50,
             "Stress assumption: a lessor can re-let the site, but purpose-built data centres "
             "re-let at a discount; half of the unpaid rent is lost."),
        Kind("backstop", "payee", "contingent", None, 1.0,
             "A guarantee is worth nothing if the guarantor defaults: the beneficiary loses "
             "the whole uncalled amount."),
        Kind("other", None, None, None, 0.0,
             "Revenue shares and partnerships carry no priced claim: counted in flows and "
             "cycles, never in exposures."),
    ]
}

KIND_NAMES: tuple[str, ...] = tuple(KINDS)

#: Kinds in which money leaves an entity as financing (for round-trip labels).
FINANCING_KINDS = frozenset({"equity", "warrant", "loan", "bond", "credit"})
#: Kinds in which money pays for a product (for round-trip labels).
PRODUCT_KINDS = frozenset({"purchase", "compute", "lease"})

#: How firm a commitment is, from firmest to softest.
STATUSES: dict[str, str] = {
    "closed": "money moved / contract executing",
    "committed": "binding definitive agreement",
    "loi": "letter of intent, non-binding, 'up to'",
    "reported": "press reports only",
    "lapsed": "cancelled, replaced or expired",
}
DEFAULT_STATUSES: tuple[str, ...] = ("closed", "committed", "loi", "reported")
NONBINDING_STATUSES = frozenset({"loi", "reported"})

ENTITY_TYPES: dict[str, str] = {
    "chipmaker": "designs or makes chips and systems",
    "ai_lab": "trains and sells AI models",
    "cloud": "rents out compute (neoclouds)",
    "hyperscaler": "large cloud and platform company",
    "lender": "bank, private-credit or asset manager",
    "investor": "equity investor or sovereign fund",
    "spv": "special-purpose vehicle, joint venture or project company",
    "market": "aggregate of capital-market investors (external)",
    "other": "anything else",
}

CONFIDENCE_LEVELS = ("high", "medium", "low")

#: Who holds a risk, for reporting the losses of external holders by class (network
#: format v2, issue 15): the ``holder_class`` entity column takes one of these.
HOLDER_CLASSES: dict[str, str] = {
    "chipmakers": "chip designers and makers",
    "hyperscalers": "large cloud and platform companies",
    "labs": "AI labs",
    "neoclouds": "GPU cloud providers",
    "spvs": "special-purpose vehicles, joint ventures, project companies",
    "banks": "banks and bank syndicates",
    "credit_funds": "private-credit funds and asset managers' credit vehicles",
    "equity_investors": "equity investors, venture and sovereign funds, public shareholders",
    "governments": "governments and public agencies",
    "other": "anything else",
}

#: The holder class of an entity whose ``holder_class`` cell is empty, by entity type.
DEFAULT_HOLDER_CLASS: dict[str, str] = {
    "chipmaker": "chipmakers",
    "hyperscaler": "hyperscalers",
    "ai_lab": "labs",
    "cloud": "neoclouds",
    "spv": "spvs",
    "lender": "banks",
    "investor": "equity_investors",
    "market": "other",
    "other": "other",
}

#: Entity types that are external holders unless their ``external`` cell says false.
EXTERNAL_TYPES = frozenset({"market"})


def holder_class_of(entity_type: str | None, holder_class: str | None = None) -> str:
    """The holder class of an entity: its own ``holder_class`` when given, else the
    default of its type (:data:`DEFAULT_HOLDER_CLASS`; unknown or missing type: ``other``).

    >>> holder_class_of("lender"), holder_class_of("lender", "credit_funds")
    ('banks', 'credit_funds')
    """
    if isinstance(holder_class, str) and holder_class.strip():
        return holder_class.strip().lower()
    if not isinstance(entity_type, str):
        return "other"
    return DEFAULT_HOLDER_CLASS.get(entity_type.strip().lower(), "other")


def _split(value: str | Iterable[str]) -> list[str]:
    if isinstance(value, str):
        items: Iterable[str] = value.split(",")
    else:
        items = [p for v in value for p in str(v).split(",")]
    return [p.strip().lower() for p in items if p.strip()]


def resolve_statuses(status: str | Iterable[str] | None) -> tuple[str, ...]:
    """Turn a status filter into a tuple of status tokens.

    ``None`` gives the default (every status but ``lapsed``); ``"all"`` gives every
    status; otherwise a comma-separated string or an iterable of tokens.

    >>> resolve_statuses(None)
    ('closed', 'committed', 'loi', 'reported')
    >>> resolve_statuses("closed,committed")
    ('closed', 'committed')
    """
    if status is None:
        return DEFAULT_STATUSES
    items = _split(status)
    if items == ["all"]:
        return tuple(STATUSES)
    if not items:
        return DEFAULT_STATUSES
    unknown = [s for s in items if s not in STATUSES]
    if unknown:
        raise FinflowError(
            f"unknown status {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(STATUSES)} or 'all'"
        )
    return tuple(s for s in STATUSES if s in items)


def resolve_kinds(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    """Turn a kind filter into a tuple of kind tokens (``None`` or ``"all"``: every kind).

    >>> resolve_kinds("loan, bond")
    ('loan', 'bond')
    """
    if kinds is None:
        return KIND_NAMES
    items = _split(kinds)
    if not items or items == ["all"]:
        return KIND_NAMES
    unknown = [k for k in items if k not in KINDS]
    if unknown:
        raise FinflowError(
            f"unknown kind {', '.join(map(repr, unknown))}; choose from {', '.join(KINDS)}"
        )
    return tuple(k for k in KINDS if k in items)


def parse_assignments(items: Iterable[str] | str | None, what: str) -> dict[str, str]:
    """Parse ``["a=1", "b=2"]`` (or ``"a=1,b=2"``) into ``{"a": "1", "b": "2"}``."""
    if items is None:
        return {}
    out: dict[str, str] = {}
    for part in _split(items) if isinstance(items, str) else [
        p for it in items for p in str(it).split(",") if p.strip()
    ]:
        if "=" not in part:
            raise FinflowError(f"{what}: expected NAME=VALUE, got {part!r}")
        key, value = part.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def parse_lgd(lgd: Mapping[str, float] | Iterable[str] | str | None) -> dict[str, float]:
    """Only the LGDs given, checked: a mapping ``{kind: value}`` or CLI-style
    ``"purchase=0.3"`` items; values must lie in [0, 1].

    >>> parse_lgd(["loan=1"])
    {'loan': 1.0}
    """
    if lgd is None:
        return {}
    pairs = dict(lgd) if isinstance(lgd, Mapping) else parse_assignments(lgd, "--lgd")
    out: dict[str, float] = {}
    for key, value in pairs.items():
        name = str(key).strip().lower()
        if name not in KINDS:
            raise FinflowError(f"--lgd: unknown kind {key!r}; choose from {', '.join(KINDS)}")
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise FinflowError(f"--lgd {key}: {value!r} is not a number") from None
        if not 0.0 <= x <= 1.0:
            raise FinflowError(f"--lgd {key}: {x} is outside [0, 1]")
        out[name] = x
    return out


def resolve_lgd(lgd: Mapping[str, float] | Iterable[str] | str | None) -> dict[str, float]:
    """The LGD per kind: the defaults of :data:`KINDS` updated by ``lgd``.

    Parameters
    ----------
    lgd : mapping kind -> float, ``"KIND=X"`` items or one such string, optional
        Loss-given-default overrides, each in [0, 1], such as ``{"purchase": 0.3}`` or
        ``["purchase=0.3"]`` (the CLI's ``--lgd``); ``None`` keeps the defaults.

    Returns
    -------
    dict
        Kind -> loss given default, for every kind of :data:`KINDS`.
        (:meth:`finflow.Network.lgd` also applies a network's own LGDs from its
        ``network.yaml``.)

    Raises
    ------
    FinflowError
        An unknown kind, or a value that is not a number in [0, 1].

    References
    ----------
    Basel Committee on Banking Supervision (2006), "International Convergence of Capital
    Measurement and Capital Standards", paragraph 287 (the 45% supervisory LGD of senior
    unsecured claims, finflow's default for loans).

    >>> resolve_lgd({"purchase": 0.3})["purchase"]
    0.3
    >>> resolve_lgd(None)["loan"]
    0.45
    """
    table = {name: k.lgd for name, k in KINDS.items()}
    table.update(parse_lgd(lgd))
    return table
