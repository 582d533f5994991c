"""The networks bundled with finflow (the top-level ``graphs/`` folder, installed as the
``finflow.graphs`` package data)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import FinflowError

__all__ = ["DEFAULT_NETWORK", "bundled", "bundled_path", "load_default", "graphs_root"]

#: the network every command uses when none is given
DEFAULT_NETWORK = "ai_infrastructure"


def graphs_root() -> Path:
    """The folder that holds the bundled networks, installed or in a source checkout."""
    try:
        root = Path(str(resources.files("finflow.graphs")))
        if root.is_dir():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    # a source checkout run with PYTHONPATH=src: graphs/ sits beside src/
    here = Path(__file__).resolve().parents[2] / "graphs"
    if here.is_dir():
        return here
    raise FinflowError("the bundled networks are not installed (no finflow.graphs package)")


def bundled() -> list[str]:
    """Names of the bundled networks."""
    root = graphs_root()
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and (p / "commitments.csv").is_file())


def bundled_path(name: str, missing_ok: bool = False) -> Path | None:
    """The folder of a bundled network."""
    try:
        root = graphs_root()
    except FinflowError:
        if missing_ok:
            return None
        raise
    p = root / name
    if (p / "commitments.csv").is_file():
        return p
    if missing_ok:
        return None
    raise FinflowError(f"no bundled network {name!r}; bundled: {', '.join(bundled())}")


def load_default():
    """Load the bundled AI-infrastructure network of 2025-2026."""
    from .model import Network
    return Network.read(bundled_path(DEFAULT_NETWORK))
