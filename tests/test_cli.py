"""The one command line: every command and action answers --help, and options land where they belong."""
from __future__ import annotations

from pathlib import Path

import pytest

from town_industry.cli.main import main, parser

COMMANDS = [["run"], ["report"], ["summary"], ["sql"], ["suites"], ["docs"], ["airflow"],
            ["airflow", "start"], ["airflow", "stop"], ["airflow", "backfill"], ["airflow", "cli"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: town-industry {' '.join(command)}" in capsys.readouterr().out


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in ("run", "report", "summary", "sql", "suites", "docs", "airflow"))


def test_stack_options_after_the_action_are_the_stacks():
    """`airflow start --home X` starts in X (a catch-all argument once swallowed the options)."""
    args = parser().parse_args(["airflow", "start", "--home", "/tmp/x", "--port", "8099"])
    assert (args.action, args.home, args.port) == ("start", Path("/tmp/x"), 8099)
    args = parser().parse_args(["airflow", "cli", "dags", "list", "--output", "json"])
    assert args.airflow_args == ["dags", "list", "--output", "json"]


def test_a_run_needs_its_months(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--from", "2020-01"])
    assert exit_.value.code == 2 and "--to" in capsys.readouterr().err
