"""The one command line: every command and action answers --help, and options land where they belong."""
from __future__ import annotations

from pathlib import Path

import pytest

from town_industry.cli.main import main, parser

COMMANDS = [["run"], ["report"], ["pdf"], ["explain"], ["summary"], ["sql"], ["suites"], ["docs"], ["airflow"],
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


@pytest.mark.integration  # runs a DAG, in a subprocess
def test_run_works_called_directly_without_the_makefiles_environment(tmp_path):
    """`town-industry run` finds the DAGs and the timetable plugin by itself (it once failed with
    'Timetable class ... is not registered' outside make)."""
    import os
    import shutil
    import subprocess
    import sys

    from conftest import SAMPLE

    data = tmp_path / "data" / "enterprise_monthly"
    data.mkdir(parents=True)
    shutil.copy(SAMPLE / "enterprise_monthly" / "2020-01.csv", data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__CORE__")}
    done = subprocess.run([sys.executable, "-m", "town_industry", "run", "--from", "2020-01", "--to", "2020-01",
                           "--sources", "enterprise_monthly", "--no-kpis", "--data-dir", str(tmp_path / "data"),
                           "--warehouse", str(tmp_path / "wh.duckdb")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2020-01  ok" in done.stdout and "loaded 37 rows" in done.stdout


def test_run_output_goes_to_its_log_and_the_terminal_gets_it_back(tmp_path, capfd):
    """What a DAG run prints (Python, a logging handler holding the terminal's stream, a logger that kept
    the stream it first saw) lands in its log; after the block the terminal is the terminal again, and the
    logger that kept a stream writes there, not into the closed log."""
    import logging
    import sys

    from town_industry.cli.run import output_to

    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(handler)
    try:
        with output_to(tmp_path / "logs" / "run.log") as log:
            kept = sys.stdout  # as structlog keeps the stream it is configured with
            print("from print")
            logging.getLogger("town_industry.test").error("from a logger")
            kept.write("from a kept stream\n")
        print("after")
        kept.write("kept, after\n")
    finally:
        logging.getLogger().removeHandler(handler)
    assert log.read_text(encoding="utf-8").splitlines() == ["from print", "from a logger", "from a kept stream"]
    assert capfd.readouterr().out == "after\nkept, after\n"


def test_report_takes_several_periods_and_refuses_a_bad_name(capsys):
    assert parser().parse_args(["report", "--period", "2020H1", "2020H2", "2020FY"]).periods == \
        ["2020H1", "2020H2", "2020FY"]
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--period", "2020H1", "2020H3"])
    assert exit_.value.code == 2 and "'2020H3' is not a report period" in capsys.readouterr().err
