"""One submission from start to verdict: who, which source and month, the file's checks, delivery and
the run it starts. The JSON API and the upload page both call ``submit``; they differ only in how they
show the result."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from fastapi import HTTPException, status

from town_industry import settings
from town_industry.contracts import rules
from town_industry.contracts.codes import mask_id_numbers_in
from town_industry.contracts.findings import ERROR, Finding
from town_industry.contracts.sources import Source, declared_sources
from town_industry.ingest.archive import sha256_of
from town_industry.ingest.personal import MissingKey
from town_industry.periods import is_half_year
from town_industry.report_center.auth import check_may_submit
from town_industry.report_center.trigger import Trigger
from town_industry.report_center.uploads import ConfigurationProblem, Refused, Verdict, deliver, received, validate

log = logging.getLogger(__name__)

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def known_source(name: str) -> Source:
    """The declared (and enabled) source of that name; 404 for anything else, a path included."""
    found = next((s for s in declared_sources() if s.name == name), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这个报表 / no such source")
    return found


def known_month(month: str, now: datetime | None = None) -> str:
    """A YYYY-MM month that has ended (a month's file is delivered after it); 422 otherwise."""
    now = now or datetime.now(timezone.utc)
    if not MONTH.match(month) or month >= now.strftime("%Y-%m"):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "月份应为已结束的月份，格式 YYYY-MM（如 2020-06） / month must be YYYY-MM, a month that has ended")
    return month


def known_half_year(period: str | None) -> str | None:
    """A half-year such as 2020H1 (or None: the board chooses); 422 otherwise."""
    if period is not None and not is_half_year(period):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "期间应为半年，如 2020H1 / period must be a half-year such as 2020H1")
    return period


def submit(user, source_name: str, month: str, upload, client_name: str | None, trigger: Trigger) -> tuple[int, dict]:
    """(HTTP status, result): 200 accepted, 422 rejected with its findings, 413/415 refused before
    validation, 503 when the server cannot validate or archive now."""
    source, month = known_source(source_name), known_month(month)
    check_may_submit(user, source.name)
    try:
        with received(upload, client_name, source, month) as got:
            rows, found = validate(got)
            verdict = Verdict(source.name, month, got.path.name, got.size, got.sha256, rows, found)
            run = None
            if verdict.accepted:
                target, archived = deliver(got)
                verdict.delivered = f"{source.name}/{target.name}"
                verdict.replaced = [a.sha256[:12] for a in archived]
                run = trigger(source.name, month, user.get_name(), got.sha256).as_dict()
    except Refused as exc:
        log.info("report center: %s's upload for %s %s refused: %s", user.get_name(), source.name, month,
                 exc.finding.rule)
        return exc.status, {"accepted": False, "refused": True, "source": source.name, "month": month,
                            "findings": [shown(exc.finding, source)]}
    except (ConfigurationProblem, MissingKey) as exc:
        log.error("report center: cannot take %s %s now: %s", source.name, month, exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"服务器暂时无法校验或存档该报表，请联系数据工程师 / cannot validate or archive now: "
                            f"{mask_id_numbers_in(str(exc))[:300]}") from None
    log.info("report center: %s submitted %s %s (sha256 %s): %s, %d rows, %d findings", user.get_name(),
             source.name, month, verdict.sha256[:12], "accepted" if verdict.accepted else "rejected", rows, len(found))
    return (200 if verdict.accepted else 422), result(verdict, source, run)


def start_run(user, source_name: str, month: str, trigger: Trigger) -> dict:
    """Start the month's run for the file the delivery folder holds: for an accepted upload whose run could
    not start (another backfill of the DAG was going). Needs the same rights as an upload."""
    source, month = known_source(source_name), known_month(month)
    check_may_submit(user, source.name)
    delivered = next((p for p in source.file_candidates(settings.data_dir(), month) if p.is_file()), None)
    if delivered is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该月份没有已报送的文件 / no file delivered for that month")
    log.info("report center: %s starts the run of %s %s", user.get_name(), source.name, month)
    return trigger(source.name, month, user.get_name(), sha256_of(delivered)).as_dict()


def result(verdict: Verdict, source: Source, run: dict | None) -> dict:
    return {"accepted": verdict.accepted, "refused": False, "source": verdict.source, "month": verdict.month,
            "stored_as": verdict.stored_as, "size": verdict.size, "sha256": verdict.sha256, "rows": verdict.rows,
            "errors": sum(f.severity == ERROR for f in verdict.findings),
            "warnings": sum(f.severity != ERROR for f in verdict.findings),
            "findings": [shown(f, source) for f in verdict.findings],
            "delivered": verdict.delivered, "replaced_versions_archived": verdict.replaced, "run": run}


def shown(f: Finding, source: Source) -> dict:
    """A finding as pages and responses show it: the rule's names beside its code, the column's Chinese
    header, and every text masked again for ID numbers (a message may quote a cell)."""
    rule = rules.get(f.rule)
    fields = {"severity": f.severity, "rule": f.rule, "rule_zh": rule.name_zh, "rule_en": rule.name_en,
              "row": f.row, "column": f.column, "column_zh": source.label(f.column), "value": f.value,
              "message": f.message, "message_en": f.message_en, "subject": f.subject}
    return {k: mask_id_numbers_in(v) if isinstance(v, str) else v for k, v in fields.items()}

