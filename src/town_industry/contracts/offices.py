"""Which office each user belongs to, and so which sources' files they may submit.

The mapping is a small YAML file beside the declarations (``include/report_center/offices.yml``), not
Airflow roles or teams: the Simple auth manager has four fixed roles and no per-DAG grants, and its
teams need Airflow's multi-team mode, which would also scope DAGs and bundles. A file keyed by the
user name works under any auth manager, is reviewed like the declarations, and Airflow stays the
judge of who may start runs (see ``report_center/auth.py``). It is a declaration like the sources': the
report center reads it for who may submit, and the deployment (``deploy/topology.py``) for the accounts
it creates.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from town_industry import settings
from town_industry.contracts.sources import declared_sources

OFFICES_FILE = settings.PROJECT_ROOT / "include" / "report_center" / "offices.yml"


class OfficesError(ValueError):
    """The offices file is malformed or names an office no declaration owns."""


@dataclass(frozen=True)
class Offices:
    members: dict[str, frozenset[str]]  # office -> user names
    all_sources: frozenset[str]  # users who may submit any source

    def offices_of(self, user: str) -> list[str]:
        return sorted(office for office, users in self.members.items() if user in users)

    def may_submit(self, user: str, source_name: str) -> bool:
        """Listed for every source, or in the office that owns ``source_name``'s declaration."""
        if user in self.all_sources:
            return True
        owners = {s.name: s.owner for s in declared_sources()}
        return source_name in owners and user in self.members.get(owners[source_name], frozenset())

    def submittable(self, user: str) -> list[str]:
        return [s.name for s in declared_sources() if self.may_submit(user, s.name)]


def offices_path() -> Path:
    """``REPORT_CENTER_OFFICES`` (a deployment's own file), else the project's."""
    return Path(os.environ.get("REPORT_CENTER_OFFICES", OFFICES_FILE))


def load_offices(path: Path | None = None) -> Offices:
    path = path or offices_path()
    return _load(path, path.stat().st_mtime_ns)  # an edited file is read again, without a restart


@lru_cache(maxsize=4)
def _load(path: Path, _mtime: int) -> Offices:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = []
    if not isinstance(raw, dict) or set(raw) - {"offices", "all_sources"}:
        raise OfficesError(f"{path}: expected the keys offices and all_sources")
    owned = {s.owner for s in declared_sources()}
    members: dict[str, frozenset[str]] = {}
    for office, entry in (raw.get("offices") or {}).items():
        users = (entry or {}).get("users") if isinstance(entry, dict) else None
        if not _names(users):
            problems.append(f"offices.{office}.users: expected a list of user names")
            continue
        if office not in owned:
            problems.append(f"offices.{office}: no source declaration has owner: {office} "
                            f"(owners declared: {', '.join(sorted(owned))})")
        members[office] = frozenset(users)
    everything = raw.get("all_sources") or []
    if not _names(everything, empty_ok=True):
        problems.append("all_sources: expected a list of user names")
    if problems:
        raise OfficesError(f"{path}:\n  " + "\n  ".join(problems))
    return Offices(members, frozenset(everything))


def _names(value, empty_ok: bool = False) -> bool:
    return isinstance(value, list) and (empty_ok or bool(value)) and all(isinstance(v, str) and v for v in value)
