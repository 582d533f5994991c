"""Shell completion for finflow's command line (bash, zsh, fish: click's completion).

Enable it once in the shell's start-up file::

    eval "$(_FINFLOW_COMPLETE=bash_source finflow)"          # ~/.bashrc
    eval "$(_FINFLOW_COMPLETE=zsh_source finflow)"           # ~/.zshrc
    _FINFLOW_COMPLETE=fish_source finflow | source           # ~/.config/fish/completions/finflow.fish

What completes: command names and options; NETWORK (and diff's OLD and NEW) with the
bundled networks' names and the shell's own file and folder names; options that take an
entity id (``--default``, ``--shock ID=``, ``--entity``) with the ids of the network
already typed on the line (the bundled default network when none is). The ids are read
straight from the network's files with the standard library (entities.csv, a node-link
.json, .graphml or .gexf), without pandas, so that Tab answers at once; completion never
fails: on any problem it offers nothing.
"""
from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import click
from click.shell_completion import CompletionItem

__all__ = ["complete_network", "complete_entity", "complete_entity_assignment", "entity_ids"]

#: the completion function's ``ctx.params`` keys that may name the network on the line
_NETWORK_PARAMS = ("network", "new", "old")


def complete_network(ctx: click.Context, param: click.Parameter,
                     incomplete: str) -> list[CompletionItem]:
    """NETWORK: the names of the bundled networks that start with ``incomplete``, and the
    shell's file and folder names (a folder, or a network file)."""
    from ..data import bundled
    # the "file" item first: bash's script starts over at it and keeps what follows
    items = [CompletionItem(incomplete, type="file")]
    try:
        names = bundled()
    except Exception:  # noqa: BLE001 -- completion never fails
        names = []
    items += [CompletionItem(n, help="bundled network") for n in names
              if n.startswith(incomplete)]
    return items


def complete_entity(ctx: click.Context, param: click.Parameter,
                    incomplete: str) -> list[CompletionItem]:
    """An entity id of the network on the command line, starting with ``incomplete``."""
    return [CompletionItem(i) for i in entity_ids(_network_on_line(ctx))
            if i.startswith(incomplete)]


def complete_entity_assignment(ctx: click.Context, param: click.Parameter,
                               incomplete: str) -> list[CompletionItem]:
    """``ID=VALUE`` options (``--shock``): the entity ids followed by ``=``, until the
    ``=`` is typed (then the value is the user's)."""
    if "=" in incomplete:
        return []
    return [CompletionItem(f"{i}=") for i in entity_ids(_network_on_line(ctx))
            if i.startswith(incomplete)]


def _network_on_line(ctx: click.Context) -> str | None:
    value = _network_param(ctx.params)
    if value is not None:
        return value
    # click does not fill ctx.params when the line ends in an option still waiting for
    # its value (``finflow contagion NET --default <Tab>``): parse the line again without
    # that option, as click does, to find the network typed before it
    try:
        args = _line_args(ctx)
        if not args:
            return None
        while args and args[-1].startswith("-"):
            args.pop()
        sub = ctx.command.make_context(ctx.info_name, args, parent=ctx.parent,
                                       resilient_parsing=True)
        return _network_param(sub.params)
    except Exception:  # noqa: BLE001 -- completion never fails
        return None


def _network_param(params: dict) -> str | None:
    for key in _NETWORK_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _line_args(ctx: click.Context) -> list[str] | None:
    """The words of the command line being completed after the command's name (from the
    shell's ``COMP_WORDS``, read by click's class for that shell), or ``None``."""
    import os
    from click.shell_completion import get_completion_class
    root = ctx.find_root()
    var = f"_{(root.info_name or 'finflow').replace('-', '_').upper()}_COMPLETE"
    shell = os.environ.get(var, "").partition("_")[0]
    cls = get_completion_class(shell) if shell else None
    if cls is None or "COMP_WORDS" not in os.environ:
        return None
    args, _ = cls(root.command, {}, root.info_name or "finflow", var).get_completion_args()
    if ctx.info_name not in args:
        return None
    return args[args.index(ctx.info_name) + 1:]


def entity_ids(spec: str | None) -> list[str]:
    """The entity ids of the network ``spec`` names (a folder, a network file, a bundled
    network's name, or ``None`` for the default network), in file order; ``[]`` when
    they cannot be read."""
    try:
        path = _network_path(spec)
        if path is None:
            return []
        return _unique(_ids_of(path))
    except Exception:  # noqa: BLE001 -- completion never fails
        return []


def _network_path(spec: str | None) -> Path | None:
    from ..data import DEFAULT_NETWORK, bundled_path
    if spec is None:
        return bundled_path(DEFAULT_NETWORK, missing_ok=True)
    p = Path(spec).expanduser()
    if p.exists():
        return p
    return bundled_path(spec, missing_ok=True)


def _ids_of(path: Path) -> Iterable[str]:
    if path.is_dir():
        entities = path / "entities.csv"
        if entities.is_file():
            return _csv_column(entities, ("id",))
        commitments = path / "commitments.csv"
        if commitments.is_file():
            return _csv_column(commitments, ("payer", "payee"))
        return []
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return [str(n["id"]) for n in data.get("nodes", []) if "id" in n]
    if suffix in (".graphml", ".gexf"):
        return [el.get("id") for el in ET.parse(path).iter()
                if el.tag.rsplit("}", 1)[-1] == "node" and el.get("id")]
    if suffix in (".csv", ".tsv"):
        return _csv_column(path, ("payer", "payee"), delimiter="\t" if suffix == ".tsv" else ",")
    return []


def _csv_column(path: Path, columns: tuple[str, ...], delimiter: str = ",") -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        return [row[c].strip() for row in reader for c in columns if row.get(c)]


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))
