"""The analyses' one type check: a networkx graph or a matrix given where a finflow
:class:`~finflow.model.Network` is expected becomes a :class:`TypeError` that names the
converter to use (:func:`finflow.interop.from_networkx`,
:func:`finflow.interop.from_matrix`), instead of an ``AttributeError`` from deep inside.

Standard library only, so that every analysis module can import it at no cost.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ensure_network"]

_MATRIX_MODULES = ("numpy", "scipy", "pandas")


def ensure_network(obj: Any, where: str | None = None) -> Any:
    """``obj`` when it is a :class:`~finflow.model.Network`; else a :class:`TypeError`
    naming the converter to use.

    Parameters
    ----------
    obj : object
        What the caller was given as the network.
    where : str, optional
        The public function's name, for the message.

    Returns
    -------
    Network
        ``obj`` itself.

    Raises
    ------
    TypeError
        ``obj`` is not a Network: for a networkx graph the message points to
        ``finflow.from_networkx``, for a numpy array, scipy sparse matrix or pandas
        DataFrame to ``finflow.from_matrix`` (an exposure matrix, E[i, j] = what i loses
        if j defaults, as NetworkRiskMeasures states a network).

    Examples
    --------
    >>> import networkx as nx
    >>> ensure_network(nx.DiGraph(), "concentration")
    Traceback (most recent call last):
    ...
    TypeError: concentration: expects a finflow.Network, got a networkx DiGraph; convert it with finflow.from_networkx(G, weight="weight", kind="kind")
    """
    from .model import Network
    if isinstance(obj, Network):
        return obj
    cls = type(obj)
    top = cls.__module__.split(".")[0]
    if top == "networkx":
        got = f"a networkx {cls.__name__}"
        hint = 'convert it with finflow.from_networkx(G, weight="weight", kind="kind")'
    elif top in _MATRIX_MODULES:
        got = f"a {top} {cls.__name__}"
        hint = ("if it is an exposure matrix (E[i, j] = what i loses if j defaults), "
                "convert it with finflow.from_matrix(E, equity=..., ids=...)")
    else:
        got = f"a {cls.__name__}"
        hint = "load one with finflow.load(path) or build one with Network.from_frames"
    raise TypeError(f"{where or 'finflow'}: expects a finflow.Network, got {got}; {hint}")
