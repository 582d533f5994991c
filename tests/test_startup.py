"""Start-up and shell completion (issue 19, "Start-up"): ``finflow --version``, ``--help``
and completing a command name import no analysis and no heavy library; the lazy command
map's summaries are the commands' own; completion offers bundled networks and the entity
ids of the network on the line. (Speed itself is measured in benchmarks/startup.py.)"""
from __future__ import annotations

import csv
import importlib
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import finflow
from finflow.cli import COMMANDS, choices, main
from finflow.cli.complete import entity_ids
from finflow.data import bundled, bundled_path

HEAVY = ("pandas", "numpy", "scipy", "networkx", "pyvis", "ortools", "finflow.model",
         "finflow.analysis")
GRAPHS = Path(__file__).resolve().parents[1] / "graphs"


def _loaded_after(argv: list[str], env: dict | None = None) -> list[str]:
    """The heavy modules loaded by running the CLI with ``argv`` in a fresh Python."""
    code = ("import sys\nfrom finflow.cli import main\n"
            f"try:\n    main({argv!r}, prog_name='finflow')\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True).stdout
    return eval(out.rsplit("LOADED", 1)[1])  # noqa: S307 -- our own printed list


@pytest.mark.parametrize("argv", [["--version"], ["--help"], []])
def test_version_and_help_import_nothing_heavy(argv):
    assert _loaded_after(argv) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_help_imports_nothing_heavy(command):
    assert _loaded_after([command, "--help"]) == []


@pytest.mark.parametrize("words", ["finflow con", "finflow cycles ",
                                   "finflow contagion --default op",
                                   "finflow timeline debtrank_3bank -e "])
def test_completion_imports_nothing_heavy(words):
    env = {"_FINFLOW_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split(" ")) - 1)}
    assert _loaded_after([], env) == []


@pytest.mark.parametrize("name", sorted(choices.SOURCES))
def test_cli_copies_of_library_choices_are_equal(name):
    # finflow.cli.choices copies what the options show so that --help need not import
    # the library; each copy must equal the library's own
    module, attr, how = choices.SOURCES[name]
    original = getattr(importlib.import_module(module), attr)
    copy = getattr(choices, name)
    if how == "keys":
        assert tuple(copy) == tuple(original), f"finflow.cli.choices.{name}"
    else:
        assert copy == original and type(copy) is type(original), f"finflow.cli.choices.{name}"


def test_every_choice_constant_is_checked():
    names = {n for n in vars(choices) if n.isupper() and n != "SOURCES"}
    assert names == set(choices.SOURCES)


def test_lazy_summaries_are_the_commands_own():
    # the map keeps one line per command so --help needs no import; it must say what
    # the command's docstring says (click's short help), or the two would drift
    for name, (target, summary) in COMMANDS.items():
        command = main.get_command(click.Context(main), name)
        assert isinstance(command, click.Command), target
        assert command.name == name
        assert summary == command.get_short_help_str(limit=10**6), (
            f"finflow.cli.COMMANDS[{name!r}]: write the first sentence of its docstring: "
            f"{command.get_short_help_str(limit=10**6)!r}")


def test_help_lists_every_command_as_click_would():
    out = CliRunner().invoke(main, ["--help"]).output
    commands = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in commands] == sorted(COMMANDS)
    # the lazy section equals the one click's own Group writes by importing every
    # command and asking it for its short help
    ctx = click.Context(main, info_name="finflow", **main.context_settings)
    lazy, eager = ctx.make_formatter(), ctx.make_formatter()
    main.format_commands(ctx, lazy)
    click.Group.format_commands(main, ctx, eager)
    assert lazy.getvalue() == eager.getvalue()


def _complete(words: str, env_extra: dict | None = None) -> list[tuple[str, str]]:
    """Click's bash completion protocol through CliRunner: ``type,value`` per line."""
    words_list = words.split(" ")
    env = {"_FINFLOW_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words_list) - 1), **(env_extra or {})}
    result = CliRunner().invoke(main, [], env=env, prog_name="finflow")
    assert result.exit_code == 0, result.output
    return [tuple(line.split(",", 1)) for line in result.output.splitlines() if line]


def _csv_ids(folder: Path) -> list[str]:
    with open(folder / "entities.csv", newline="", encoding="utf-8") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


def test_network_argument_completes_bundled_names_and_files():
    items = _complete("finflow cycles ")
    assert ("file", "") in items                       # the shell's own file names
    assert [v for t, v in items if t == "plain"] == bundled()
    items = _complete("finflow show debt")
    assert [v for t, v in items if t == "plain"] == ["debtrank_3bank"]
    # diff's two networks
    assert ("plain", "eisenberg_noe_3bank") in _complete("finflow diff ai_infrastructure eis")


def test_entity_options_complete_the_ids_of_the_network_on_the_line():
    # the bundled 3-bank example has entities a, b, c (graphs/debtrank_3bank/entities.csv)
    three = _csv_ids(GRAPHS / "debtrank_3bank")
    assert _complete("finflow contagion debtrank_3bank --default ") == [
        ("plain", i) for i in three]
    # no network on the line: the default network's ids, filtered by the prefix
    default_ids = _csv_ids(bundled_path("ai_infrastructure"))
    expected = [("plain", i) for i in default_ids if i.startswith("op")]
    assert expected and _complete("finflow contagion --default op") == expected
    # --shock takes ID=FRACTION: ids with "=", and nothing once "=" is typed
    assert _complete("finflow contagion debtrank_3bank --shock b") == [("plain", "b=")]
    assert _complete("finflow contagion debtrank_3bank --shock b=0") == []
    # timeline --entity / -e, uncertainty and view --default
    assert ("plain", "nvidia") in _complete("finflow timeline -e nv")
    assert _complete("finflow view debtrank_3bank --default c") == [("plain", "c")]
    assert _complete("finflow uncertainty debtrank_3bank --default a") == [("plain", "a")]


def test_entity_ids_read_from_each_file_format(tmp_path):
    net = finflow.load("debtrank_3bank")
    expected = list(net.index)
    for fmt, name in (("json", "n.json"), ("graphml", "n.graphml"), ("gexf", "n.gexf")):
        path = net.save(tmp_path / name, fmt)
        assert entity_ids(str(path)) == expected, fmt
    folder = net.save(tmp_path / "folder")
    assert entity_ids(str(folder)) == expected
    # an unreadable network or a missing one: nothing, and no error
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert entity_ids(str(tmp_path / "bad.json")) == []
    assert entity_ids(str(tmp_path / "missing")) == []


def test_completion_of_a_broken_network_offers_nothing(tmp_path):
    (tmp_path / "bad.graphml").write_text("<graphml><node", encoding="utf-8")
    assert _complete(f"finflow contagion {tmp_path / 'bad.graphml'} --default ") == []
