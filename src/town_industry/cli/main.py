"""``town-industry``: the one command line of the pipeline (the Makefile's targets call it).

    town-industry run --from 2019-01 --to 2020-12      load every source's months through the real DAGs
    town-industry report --period 2020H1 2020FY         (re)draft half-years / full years from the KPI mart
    town-industry summary                               what the warehouse holds
    town-industry sql ["FROM mart.half_year_kpis"]      SQL on the published copy (read-only)
    town-industry rebuild                               rebuild the warehouse from the archive, compare
    town-industry archive [--source S --month M]        archived versions of delivered files; --sha X --out F
    town-industry suites | docs                         regenerate the GX suites / the generated docs
    town-industry new-source NAME                       scaffold a new source's declaration, SQL, sample, test
    town-industry airflow start|stop|backfill|cli       the local Airflow stack (make airflow)

Every command takes --help.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from town_industry import settings


def _paths(args) -> None:
    """--data-dir / --warehouse / --reports-dir override the environment, for this process and its tasks."""
    for option, variable in (("data_dir", "DATA_DIR"), ("warehouse", "WAREHOUSE"), ("reports_dir", "REPORTS_DIR")):
        value = getattr(args, option, None)
        if value:
            os.environ[variable] = str(Path(value).resolve())


def _sources(text: str) -> list[str]:
    return [s for s in text.split(",") if s]


def cmd_run(args) -> int:
    from town_industry.cli.run import run

    warnings.filterwarnings("ignore")  # library deprecation chatter would bury the one-line summaries
    settings.use_project_airflow()
    # Run by hand, the files are in place: no waiting for them to settle (the scheduler waits).
    os.environ.setdefault("FILE_SETTLE_SECONDS", "0")
    os.environ.setdefault("RETRY_DELAY_SECONDS", "5")  # dag.test() sleeps through retry delays
    print(f"data: {settings.data_dir()}  warehouse: {settings.warehouse_path()}")
    ok = run(args.first, args.last, sources=_sources(args.sources) or None, build_kpis=not args.no_kpis)
    zh = settings.language() == "zh"
    if ok:
        print("全部运行成功" if zh else "all runs succeeded")
    else:
        print("有运行失败（见上）" if zh else "some runs FAILED (see above)")
    return 0 if ok else 1


def cmd_rebuild(args) -> int:
    from town_industry.cli.rebuild import rebuild

    warnings.filterwarnings("ignore")
    settings.use_project_airflow()
    warehouse = settings.warehouse_path()
    into = (args.into or warehouse.parent / "rebuild" / warehouse.name).resolve()
    ok = rebuild(warehouse, into, args.ledger)
    print(f"rebuilt warehouse: {into}" + ("" if ok else "  (FAILED or DIFFERENT: see above)"))
    return 0 if ok else 1


def cmd_archive(args) -> int:
    from town_industry.cli.rebuild import take_out, versions
    from town_industry.text import pad

    if args.sha:
        if not args.out:
            raise SystemExit("--sha needs --out FILE (where to write the delivered bytes)")
        print(take_out(settings.warehouse_path(), args.sha, args.out))
        return 0
    for source, month, status, sha, at, archived in versions(settings.warehouse_path(), args.source, args.month):
        print(f"{source}  {month}  {pad(status, 9)}  {sha[:16]}  {at:%Y-%m-%d %H:%M:%S}  {archived}")
    return 0


def cmd_report(args) -> int:
    from town_industry.report.draft import draft

    for period in args.periods:
        path = draft(period, settings.warehouse_path(), settings.reports_dir())
        print(f"Report draft for {period}: {path}\n                        and {path.with_suffix('.docx')}")
    return 0


def cmd_pdf(args) -> int:
    """The period's Word draft as PDF, through LibreOffice (installed from Debian's packages where missing)."""
    from town_industry.deploy.packages import apt_install
    from town_industry.report import render
    from town_industry.report.draft import draft_name

    docx_path = settings.reports_dir() / args.period / f"{draft_name(args.period)}.docx"
    if not docx_path.is_file():
        print(f"No Word draft for {args.period} at {docx_path}: draft it first (make report PERIOD={args.period})",
              file=sys.stderr)
        return 1
    if render.missing_commands() and not apt_install(*render.DEBIAN_PACKAGES):
        print("LibreOffice is missing and could not be installed: " + ", ".join(render.missing_commands()),
              file=sys.stderr)
        return 1
    print(f"PDF of the {args.period} draft (LibreOffice, faces as include/report/fonts.conf maps them): "
          f"{render.to_pdf(docx_path, docx_path.parent)}")
    return 0


def _report_period(text: str) -> str:
    """argparse type: a report period's name, refused with what one looks like (before anything is drafted)."""
    from town_industry.periods import check_report_period

    try:
        return check_report_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_summary(args) -> int:
    from town_industry.cli.summary import kpi_table, warehouse_summary

    print(warehouse_summary(settings.warehouse_path()))
    if args.first and args.last:
        print()
        print(kpi_table(settings.warehouse_path(), args.first, args.last))
    return 0


def cmd_explain(args) -> int:
    from town_industry.contracts.kpis import catalogue
    from town_industry.db import read
    from town_industry.report.drivers import read_drivers
    from town_industry.report.explain import cause_phrase, driver_rows
    from town_industry.report.formatting import figure
    from town_industry.text import table

    codes = [k.code for k in catalogue().kpis if k.drivers]
    if args.kpi not in codes:
        print(f"{args.kpi}: no drivers are kept for it; KPIs with drivers: {', '.join(codes)}", file=sys.stderr)
        return 2
    kpi = catalogue().get(args.kpi)
    with read(settings.warehouse_path()) as con:
        value = con.execute("SELECT value FROM mart.half_year_kpis WHERE period = ? AND kpi_code = ?",
                            [args.period, kpi.code]).fetchone()
        drivers = read_drivers(con, args.period, kpi.code)
    if value is None:
        print(f"{args.period}: not in the KPI mart (mart.half_year_kpis): not a complete half-year or year",
              file=sys.stderr)
        return 1
    print(f"{kpi.name_zh} ({kpi.code}) {args.period}: {figure(value[0], kpi.unit, kpi.precision)}")
    print(f"  {kpi.definition_zh}")
    if not drivers:
        print("  no drivers: the KPI has no value in this period")
        return 0
    if phrase := cause_phrase(drivers):
        print(f"  {phrase}")
    print("\n".join(table(driver_rows(drivers), right_from=4)))
    return 0


def cmd_sql(args) -> int:
    from town_industry.cli.sql_shell import prompt, run
    from town_industry.db import read

    if args.url:  # what a BI tool is given: absolute, so that it works from any directory
        print(f"duckdb+warehouse:///{settings.published_path().resolve()}?access_mode=read_only")
        return 0
    print(f"-- {settings.published_path()} (read-only)", file=sys.stderr)
    with read() as con:
        if args.query:
            run(con, args.query)
        else:
            prompt(con)
    return 0


def cmd_suites(args) -> int:
    from town_industry.contracts.sources import declaration_errors, declared_sources, shown_path
    from town_industry.ingest.suites import expectation_errors, write_suites

    # Every declaration is checked before any suite is written: a suite from a broken declaration would
    # only move the error to the first file's validation.
    errors = [*declaration_errors(), *filter(None, map(expectation_errors, declared_sources())),
              *_catalogue_errors()]
    if errors:
        problems = [line for error in errors for line in str(error).splitlines()]
        print(f"{len(problems)} problem(s) in the declarations; no suite written:", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        return 1
    for path in write_suites():
        print(f"wrote {shown_path(path)}")
    return 0


def _catalogue_errors() -> list[ValueError]:
    """The KPI catalogue, the draft's layout and the targets (include/targets/), checked as the KPI DAG's
    parse checks them; and the data dictionary's files (sql/**/*.yml), which every load reads."""
    from town_industry.contracts import dictionary
    from town_industry.contracts.kpis import catalogue
    from town_industry.contracts.report_layout import layout
    from town_industry.contracts.targets import targets_errors

    try:
        catalogue()
        layout()
        dictionary.load()
    except ValueError as exc:  # each names its file and key
        return [exc]
    return targets_errors()  # one per broken file


def cmd_docs(args) -> int:
    from town_industry.cli.docs import write_docs

    for path in write_docs():
        print(f"wrote {path.relative_to(settings.PROJECT_ROOT)}")
    return 0


def cmd_new_source(args) -> int:
    from town_industry.cli.scaffold import Refused, next_steps, scaffold

    try:
        written = scaffold(args.name)
    except Refused as exc:
        raise SystemExit(f"new-source: {exc}") from None
    print(f"New source {args.name}:")
    for path, what in written:
        print(f"  wrote {path:<{max(len(p) for p, _ in written)}}  {what}")
    # The suites command checks the new declaration with the DAGs' parser, and writes its suite.
    print("town-industry suites:")
    if cmd_suites(args) != 0:
        print(f"No suite written: fix the problems above, then `make suites` ({args.name}'s files are in place).")
        return 1
    print(next_steps(args.name))
    return 0


def cmd_compose(args) -> int:
    from town_industry.deploy import compose

    if args.check:
        if compose.compose_is_current():
            print("docker-compose.yml is what deploy/topology.py renders.")
            return 0
        print("docker-compose.yml differs from what deploy/topology.py renders: run `make compose`.", file=sys.stderr)
        return 1
    print(f"wrote {compose.write_compose().relative_to(settings.PROJECT_ROOT)}")
    return 0


def cmd_compose_env(args) -> int:
    from town_industry.deploy import compose

    try:
        path = compose.write_env(args.path)
    except FileExistsError as exc:
        # An .env in use keeps its values; the secrets declared since it was written are added to it.
        added = compose.add_missing_secrets(args.path)
        if not added:
            raise SystemExit(f"compose-env: {exc}") from None
        print(f"added to {args.path}: {', '.join(added)} (the values already there are unchanged)")
        return 0
    print(f"wrote {path} (mode 600): a random value for every secret. Keep it out of git; back it up.")
    return 0


def cmd_airflow(args) -> int:
    from town_industry.deploy import local_airflow as la

    if args.action == "start":
        return la.start_foreground(la.LocalAirflow(args.home, args.port, args.pg_port), args.timeout)
    if args.action == "stop":
        la.running_stack(args.home, args.port, args.pg_port).stop()
        print("Stopped (or nothing was running).")
        return 0
    if args.action == "backfill":
        return la.backfill(la.running_stack(args.home, args.port, args.pg_port), args.first, args.last,
                           _sources(args.sources))
    return la.airflow_cli(args.airflow_args, args.home)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="town-industry", description=__doc__.split("\n\n")[0],
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(handler=handler)
        return sub

    def warehouse_option(sub) -> None:
        sub.add_argument("--warehouse", type=Path, help="the DuckDB file (default: $WAREHOUSE or build/warehouse.duckdb)")

    run = command("run", cmd_run, "Load every source's months FROM..TO through the real DAGs (dag.test), oldest "
                  "first, then build the KPI mart and the drafts. Exit status 1 if any run failed.")
    run.add_argument("--from", dest="first", required=True, help="first data month, YYYY-MM")
    run.add_argument("--to", dest="last", required=True, help="last data month, YYYY-MM")
    run.add_argument("--data-dir", type=Path, help="root of delivered files (default: $DATA_DIR or include/data)")
    warehouse_option(run)
    run.add_argument("--sources", default="", help="comma-separated sources (default: every declared one)")
    run.add_argument("--no-kpis", action="store_true", help="load only; skip the KPI mart and report DAG")

    report = command("report", cmd_report, "(Re)draft half-years and full years from the KPI mart into "
                     "<reports>/<period>/ (Markdown, Word, charts), in the order given.")
    report.add_argument("--period", dest="periods", nargs="+", required=True, type=_report_period,
                        help="one or more report periods: half-years (2020H1, 2020H2) or full years (2020FY)")
    warehouse_option(report)
    report.add_argument("--reports-dir", type=Path, help="output root (default: $REPORTS_DIR or reports/)")

    pdf = command("pdf", cmd_pdf, "Render a period's Word draft to PDF with LibreOffice, to look at the pages "
                  "as printed (installs libreoffice-writer and free Chinese faces where missing).")
    pdf.add_argument("--period", required=True, help="the drafted period, e.g. 2020H1")
    pdf.add_argument("--reports-dir", type=Path, help="drafts root (default: $REPORTS_DIR or reports/)")

    summary = command("summary", cmd_summary, "What the warehouse holds: tables, files by source and status, "
                      "warnings; with --from/--to also the KPIs of the half-years they touch.")
    warehouse_option(summary)
    summary.add_argument("--from", dest="first", help="first data month, YYYY-MM")
    summary.add_argument("--to", dest="last", help="last data month, YYYY-MM")

    explain = command("explain", cmd_explain, "Why a growth rate moved in a half-year: the enterprises or projects "
                      "that raised or lowered it most, those that entered or left, the five largest "
                      "(mart.kpi_drivers).")
    explain.add_argument("--kpi", required=True, help="a growth KPI, e.g. taxable_sales_yoy_pct")
    explain.add_argument("--period", required=True, help="half-year, e.g. 2020H1")
    warehouse_option(explain)

    sql = command("sql", cmd_sql, "SQL on the published copy of the warehouse (read-only, never blocks a load).")
    warehouse_option(sql)
    sql.add_argument("query", nargs="?", help="one statement; without it, read statements from standard input")
    sql.add_argument("--url", action="store_true", help="print the SQLAlchemy URL of the published copy, for BI "
                     "tools (duckdb+warehouse://, absolute), and exit")

    rebuild = command("rebuild", cmd_rebuild, "Rebuild the warehouse from the archive of delivered files (the file "
                      "each source-month holds now) into a new file, and compare the fingerprints table by table. "
                      "Exit status 1 if a run failed or a table differs.")
    warehouse_option(rebuild)
    rebuild.add_argument("--into", type=Path, help="the new warehouse (default: rebuild/<name> beside the warehouse)")
    rebuild.add_argument("--ledger", type=Path, help="the warehouse file whose meta.current_files lists the files "
                         "(default: the published copy; give a backup when the warehouse is lost)")

    archive = command("archive", cmd_archive, "The archived versions of delivered files (loaded, rejected or "
                      "unchanged); with --sha and --out, write one version's delivered bytes to a file.")
    warehouse_option(archive)
    archive.add_argument("--source", help="only this source")
    archive.add_argument("--month", help="only this month, YYYY-MM")
    archive.add_argument("--sha", help="the SHA-256 (or a prefix) of the version to take out")
    archive.add_argument("--out", type=Path, help="where to write it")

    command("suites", cmd_suites, "Check every declaration (include/sources/*.yml, include/rules.yml, "
            "include/kpis.yml, include/report/report.yml, include/targets/*.yml, the data dictionary sql/**/*.yml), "
            "then regenerate "
            "expectations/suites/*.json; exit status 1, nothing written, if any declaration is wrong.")
    command("docs", cmd_docs, "Regenerate the generated pages of docs/ from the declarations.")
    new_source = command("new-source", cmd_new_source, "Scaffold a new source: its declaration "
                         "include/sources/NAME.yml, a fact model, a history check, a header-only sample month, "
                         "a test and the GX suite; refuses an unfit name or an existing source.")
    new_source.add_argument("name", help="the source's name, lower_snake_case (DAG ingest_NAME, staging.NAME)")

    compose = command("compose", cmd_compose, "Render docker-compose.yml from src/town_industry/deploy/topology.py; "
                      "with --check, exit status 1 if the committed file differs.")
    compose.add_argument("--check", action="store_true", help="compare only, write nothing")
    compose_env = command("compose-env", cmd_compose_env, "Write the .env docker-compose.yml reads: a random value "
                          "for every secret. An existing .env keeps its values: only the secrets it lacks "
                          "(say the password of a user added to the offices file) are added.")
    compose_env.add_argument("--path", type=Path, default=settings.PROJECT_ROOT / ".env", help="default: .env")

    from town_industry.deploy.local_airflow import DEFAULT_HOME

    airflow = commands.add_parser("airflow", help="The local Airflow stack (make airflow): start, stop, backfill, cli.",
                                  description="The local Airflow stack: PostgreSQL metadata database, Redis, scheduler "
                                              "(CeleryExecutor), api-server, dag-processor, triggerer and two "
                                              "Celery workers (docker-compose.yml's topology on one machine).")
    airflow.set_defaults(handler=cmd_airflow)
    actions = airflow.add_subparsers(dest="action", required=True, metavar="ACTION")

    def stack_action(name: str, help_: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_, description=help_)
        sub.add_argument("--home", type=Path, default=DEFAULT_HOME, help=f"the stack's home (default {DEFAULT_HOME})")
        return sub

    start = stack_action("start", "Start the stack in the foreground and print the UI address and admin "
                                  "password; Ctrl-C stops everything.")
    start.add_argument("--port", type=int, default=8080, help="api-server (UI) port")
    start.add_argument("--pg-port", type=int, default=5433, help="PostgreSQL port")
    start.add_argument("--timeout", type=float, default=180, help="seconds to wait for every component's health")
    stop = stack_action("stop", "Stop every process of the running stack, PostgreSQL included.")
    backfill = stack_action("backfill", "Switch the DAGs on and create one backfill per source for FROM..TO.")
    backfill.add_argument("--from", dest="first", required=True, help="first data month, YYYY-MM")
    backfill.add_argument("--to", dest="last", required=True, help="last data month, YYYY-MM")
    backfill.add_argument("--sources", default="", help="comma-separated sources (default: all)")
    cli = stack_action("cli", "Run the airflow command line against the running stack: "
                              "town-industry airflow cli dags list")
    cli.add_argument("airflow_args", nargs=argparse.REMAINDER, help="the airflow command and its arguments")
    for sub in (stop, backfill, cli):  # ports come from the running stack's state file
        sub.set_defaults(port=8080, pg_port=5433)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _paths(args)
    return args.handler(args)

