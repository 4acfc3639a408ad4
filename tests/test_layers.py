"""The package's layers stay layered: each layer imports only the layers below it.

    base           settings, periods, db, text, faults  (imports no layer)
    contracts      declarations, codes, reference data  (base)
    ingest         file -> validated batch              (base, contracts; never the warehouse)
    warehouse      schema, models, history, loads       (base, contracts)
    marts          the KPI mart                         (base, contracts)
    report         the draft                            (base, contracts; reads the mart by SQL)
    deploy         the local Airflow stack              (base, contracts)
    report_center  the Airflow plugin's web app         (base, contracts, ingest, report; runs in the api-server)
    cli            the command line                     (everything but orchestration)
    orchestration  what the DAG tasks call              (everything but cli and deploy)

Only ``dags/`` and the Airflow plugins import ``orchestration`` and ``report_center``. Imports are read from the source
(function-level ones included), so a lazy import cannot hide a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "town_industry"
BASE = {"settings", "periods", "db", "text", "faults"}
LAYERS = {"contracts", "ingest", "warehouse", "marts", "report", "deploy", "cli", "orchestration", "report_center"}
ALLOWED = {
    "base": {"base"},
    "contracts": {"base"},
    "ingest": {"base", "contracts"},
    "warehouse": {"base", "contracts"},
    "marts": {"base", "contracts"},
    "report": {"base", "contracts"},
    "deploy": {"base", "contracts"},
    "report_center": {"base", "contracts", "ingest", "report"},
    "cli": {"base", "contracts", "ingest", "warehouse", "marts", "report", "deploy"},
    "orchestration": {"base", "contracts", "ingest", "warehouse", "marts", "report"},
    "dags": {"base", "contracts", "orchestration"},
    "plugins": {"orchestration", "report_center"},
}


def layer_of_module(dotted: str) -> str | None:
    """'town_industry.warehouse.load' -> 'warehouse'; 'town_industry.db' -> 'base'; None for other packages."""
    parts = dotted.split(".")
    if parts[0] != "town_industry":
        return None
    if len(parts) == 1:
        return "base"
    return parts[1] if parts[1] in LAYERS else "base" if parts[1] in BASE | {"__main__"} else parts[1]


def layer_of_file(path: Path, root: Path = ROOT) -> str:
    package = root / "src" / "town_industry"
    if path.is_relative_to(package):
        relative = path.relative_to(package)
        return relative.parts[0] if len(relative.parts) > 1 else "base"
    return path.relative_to(root).parts[0]  # dags, plugins


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from town_industry import db` imports the module town_industry.db
            names |= {f"{node.module}.{alias.name}" for alias in node.names} if node.module == "town_industry" \
                else {node.module}
    return names


def project_files() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "dags").glob("*.py")) + sorted((ROOT / "plugins").glob("*.py"))
    return [f for f in files if f.name != "__main__.py"]  # `python -m town_industry` is the command line


def violations(files: list[Path] | None = None, root: Path = ROOT) -> list[str]:
    found = []
    for path in project_files() if files is None else files:
        layer = layer_of_file(path, root)
        for module in sorted(imported_modules(path)):
            target = layer_of_module(module)
            if target is None or target == layer:
                continue
            if target not in ALLOWED[layer]:
                found.append(f"{path.relative_to(root)} ({layer}) imports {module} ({target})")
    return found


def test_every_module_belongs_to_a_known_layer():
    unknown = {layer_of_file(p) for p in project_files()} - set(ALLOWED)
    assert not unknown, f"a folder of src/town_industry is not a declared layer: {unknown}"
    for path in PACKAGE.iterdir():
        if path.suffix == ".py":
            assert path.stem in BASE | {"__init__", "__main__"}, f"{path.name}: a top-level module must be a base module"


def test_the_layers_stay_layered():
    assert violations() == []


@pytest.mark.parametrize("layer_file, forbidden", [
    ("ingest/landing.py", "from town_industry.warehouse.schema import staging_ddl"),
    ("report/draft.py", "from town_industry.orchestration import kpi_tasks"),
    ("db.py", "from town_industry.contracts.sources import Source"),
    ("cli/summary.py", "    from town_industry.orchestration.ingest_tasks import load"),
])
def test_a_forbidden_import_is_caught(tmp_path, layer_file, forbidden):
    """The check itself can fail: the same file with one forbidden import (a lazy one too) is reported."""
    original = PACKAGE / layer_file
    copy = tmp_path / "src" / "town_industry" / layer_file
    copy.parent.mkdir(parents=True)
    text = original.read_text(encoding="utf-8")
    if forbidden.startswith("    "):  # inside a function
        text += f"\n\ndef _lazy():\n{forbidden}\n"
    else:
        text = f"{forbidden}\n{text}"
    copy.write_text(text, encoding="utf-8")
    assert violations([original]) == []
    assert len(violations([copy], root=tmp_path)) == 1, violations([copy], root=tmp_path)


def test_no_path_juggling():
    """The package is installed (pip install -e .): nothing edits sys.path or sets PYTHONPATH."""
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "dags").glob("*.py"), *(ROOT / "tests").glob("*.py"),
                 ROOT / "Makefile", ROOT / "pyproject.toml"]:
        if path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8")
        if "sys.path.insert" in text or "sys.path.append" in text or "PYTHONPATH" in text or "pythonpath" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
