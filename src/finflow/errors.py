"""finflow's exceptions: one base class that callers can catch, and specific subclasses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["FinflowError", "FinflowWarning", "Problem", "NetworkFileError", "MissingDataError"]


class FinflowError(Exception):
    """Base class of every error finflow raises on purpose (bad input, missing data)."""


class FinflowWarning(UserWarning):
    """Something in a network's files that finflow keeps but does not use (an unknown
    ``network.yaml`` key, say). The CLI prints it as ``warning: ...`` on stderr and
    ``finflow validate`` lists it; it never fails a command."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a network's files, printed as ``file:line: field: problem``.

    Parameters
    ----------
    file : str
        The file the problem is in (as the user named it).
    line : int or None
        The 1-based line of the file where the record starts (the header is line 1), or
        ``None`` for formats without lines (then ``where`` names the record).
    field : str
        The column or attribute at fault (``""`` when the problem is the whole record).
    message : str
        What is wrong and, where it helps, what to write instead.
    where : str, optional
        The record in a format without lines, such as ``node 'nvidia'``.
    """

    file: str
    line: int | None
    field: str
    message: str
    where: str | None = None

    def __str__(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
        elif self.where:
            loc += f": {self.where}"
        return f"{loc}: {self.field}: {self.message}" if self.field else f"{loc}: {self.message}"


class NetworkFileError(FinflowError):
    """A network's files have problems; ``problems`` lists every one of them.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found (the message lists them one per line).
    """

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the network's files"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


class MissingDataError(FinflowError):
    """A model needs a figure (such as equity) that some entities lack.

    Parameters
    ----------
    field : str
        The figure that is missing (``"equity"``, say).
    entities : iterable of str
        The ids of the entities that lack it (the message shows the first 30).
    hint : str, optional
        What the user can do about it, appended to the message.
    """

    def __init__(self, field: str, entities: Iterable[str], hint: str = ""):
        self.field = field
        self.entities = list(entities)
        shown = ", ".join(self.entities[:30])
        if len(self.entities) > 30:
            shown += f", ... ({len(self.entities)} in all)"
        msg = f"{len(self.entities)} entities lack {field}: {shown}"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)
