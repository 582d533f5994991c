"""``--format table`` fits the terminal width (COLUMNS or a TTY); ``--wide`` and pipes keep
the full lines. Issue 19: at 80 columns `finflow cycles` printed 464-character lines."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from finflow.cli import main
from finflow.render import KEEP_TEXT_WIDTH, text_table

COMMANDS = [["cycles", "ai_infrastructure"],
            ["contagion", "ai_infrastructure", "--default", "openai"]]


def run(args, env):
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", COMMANDS)
def test_lines_fit_80_columns_and_wide_gives_the_full_lines(args):
    fitted = run(args, {"COLUMNS": "80"})
    assert max(len(line) for line in fitted.splitlines()) <= 80
    wide = run(args + ["--wide"], {"COLUMNS": "80"})
    piped = run(args, {"COLUMNS": None})        # CliRunner's stdout is no TTY: a pipe
    # --wide is the output of a pipe (the unfitted one), and that is wider than 80
    assert wide == piped
    assert max(len(line) for line in wide.splitlines()) > 80
    # the fitted output drops no sentence: every word of the wide output's summary is
    # still there (wrapping only moves line breaks)
    head = lambda text: " ".join(text.split("\n\n")[1].split())   # noqa: E731
    assert head(fitted) == head(wide)


def test_left_out_columns_are_named_and_kept_columns_are_whole():
    # by hand: widths a=30, b=30, n=10 ("123,456.00"); text cut to 24 first gives
    # 24+2+24+2+10 = 62 > 40, so columns go from the right: n (50 > 40), then b (24);
    # the room left over goes back to a, which shows whole (30 <= 40)
    frame = pd.DataFrame({"a": ["x" * 30], "b": ["y" * 30], "n": [123456.0]})
    out = text_table(frame, width=40).splitlines()
    assert all(len(line) <= 40 for line in out)
    assert out[0].split() == ["a"]
    assert out[2] == "x" * 30
    note = " ".join(out[3:])
    assert "2 columns left out" in note and "b, n" in note and "--wide" in note


def test_text_cut_with_ellipsis_numbers_never_cut():
    # by hand: the name cell is cut to 48 (max_width) and the number is 12 wide
    # ("1,234,567.89"); cutting the text alone fits, so it gets exactly 40 - 2 - 12 = 26
    frame = pd.DataFrame({"name": ["z" * 60], "amount": [1234567.891]})
    out = text_table(frame, width=40).splitlines()
    assert [len(line) for line in out] == [40, 40, 40]
    assert out[2] == "z" * 25 + "…" + "  " + "1,234,567.89"
    assert KEEP_TEXT_WIDTH <= 26


def test_no_width_is_the_unfitted_table():
    frame = pd.DataFrame({"name": ["z" * 40], "amount": [1.5]})
    assert text_table(frame) == text_table(frame, width=None)
    assert text_table(frame, width=1000) == text_table(frame)
