"""The report center's FastAPI app, mounted by the Airflow plugin at ``/report-center`` in the api-server.

Two faces over the same functions: pages in Chinese (English names beside) for clerks, writers and
analysts, and a JSON API under ``/api`` for scripts and tests. Every route needs a logged-in Airflow
user (``auth.User``); an upload also needs the user's office and Airflow's permission to start runs.
"""
from __future__ import annotations

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from town_industry import settings
from town_industry.contracts.codes import mask_id_numbers_in
from town_industry.contracts.sources import declared_sources
from town_industry.report_center import board, drafts, kpis
from town_industry.report_center.auth import User
from town_industry.report_center.limits import BodyLimit
from town_industry.contracts.offices import load_offices
from town_industry.report_center.submission import known_half_year, known_month, known_source, start_run, submit
from town_industry.report_center.trigger import RunStatus, Trigger, airflow_run_status, airflow_trigger

URL_PREFIX = "/report-center"
TEMPLATES = settings.PROJECT_ROOT / "include" / "report_center" / "templates"
FORM_OVERHEAD = 1 << 20  # a multipart body's headers and boundaries, beyond the file itself

# Whether a draft was written from the KPIs as now built (drafts.Draft.current).
DRAFT_CURRENT = {True: "是 yes", False: "否：之后入库的文件改变了指标，下次指标运行会重写本稿；下列文件是现有的，不是本稿依据的 / no: "
                 "a file loaded since changed its KPIs, and the next KPI run rewrites it; the files below are the "
                 "warehouse's now, not those it was built from"}

_pages = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def create_app(trigger: Trigger = airflow_trigger, run_status: RunStatus = airflow_run_status) -> FastAPI:
    """The app; ``trigger`` and ``run_status`` talk to Airflow (tests pass their own)."""
    app = FastAPI(title="报表中心 Report center", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.trigger, app.state.run_status = trigger, run_status
    largest = max((s.limits.max_file_mb for s in declared_sources()), default=200)
    app.add_middleware(BodyLimit, max_bytes=int(largest * 2**20) + FORM_OVERHEAD)
    app.add_exception_handler(StarletteHTTPException, _error)
    _api_routes(app)
    _page_routes(app)
    return app


def page(request: Request, template: str, title: str, user=None, status_code: int = 200, **values) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")  # where the api-server mounted the app
    html = _pages.get_template(template).render(title=title, root=root, user=user and user.get_name(), **values)
    return HTMLResponse(html, status_code=status_code)


async def _error(request: Request, exc: StarletteHTTPException):
    """JSON under /api; elsewhere a page, with a link to Airflow's login when the user is not logged in."""
    if request.url.path.startswith(f"{request.scope.get('root_path', '')}/api"):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    login = None
    if exc.status_code == 401:
        from airflow.api_fastapi.app import get_auth_manager

        login = get_auth_manager().get_url_login(next_url=str(request.url))
    message = {401: "请先登录 Airflow / please log in to Airflow"}.get(exc.status_code, str(exc.detail))
    return page(request, "error.html", "无法完成 / Not possible", status_code=exc.status_code, message=message,
                login=login)


def _api_routes(app: FastAPI) -> None:
    @app.get("/api/me")
    def me(user: User) -> dict:
        offices = load_offices()
        return {"user": user.get_name(), "offices": offices.offices_of(user.get_name()),
                "may_submit": offices.submittable(user.get_name())}

    @app.post("/api/uploads/{source}/{month}")
    def upload(request: Request, user: User, source: str, month: str, file: UploadFile = File(...)):
        code, result = submit(user, source, month, file.file, file.filename, request.app.state.trigger)
        return JSONResponse(result, status_code=code)

    @app.post("/api/months/{source}/{month}/run")
    def start(request: Request, user: User, source: str, month: str) -> dict:
        return start_run(user, source, month, request.app.state.trigger)

    @app.get("/api/runs/{source}/{run_id}")
    def run(request: Request, user: User, source: str, run_id: str) -> dict:
        return request.app.state.run_status(known_source(source).name, run_id)

    @app.get("/api/board")
    def status_board(user: User, period: str | None = None) -> dict:
        return board.board(known_half_year(period)).as_dict()

    @app.get("/api/board/{source}/{month}")
    def month_findings(user: User, source: str, month: str) -> dict:
        return board.findings(known_source(source).name, known_month(month))

    @app.get("/api/drafts")
    def draft_list(user: User) -> list[dict]:
        return [d.as_dict() | {"built_from": drafts.built_from(d.period)} for d in drafts.drafts()]

    @app.get("/api/kpis")
    def kpi_list(user: User) -> list[dict]:
        return kpis.catalogue()

    @app.get("/api/kpis/{code}")
    def kpi_detail(user: User, code: str) -> dict:
        return _kpi_or_404(code)


def _page_routes(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, user: User):
        offices = load_offices()
        return page(request, "index.html", "报表中心 / Report center", user,
                    offices=offices.offices_of(user.get_name()), submittable=offices.submittable(user.get_name()))

    @app.get("/submit", response_class=HTMLResponse)
    def submit_form(request: Request, user: User, source: str | None = None, month: str | None = None):
        allowed = set(load_offices().submittable(user.get_name()))
        return page(request, "submit.html", "报送文件 / Submit a file", user, chosen=source, month=month,
                    sources=[s for s in declared_sources() if s.name in allowed])

    @app.post("/submit", response_class=HTMLResponse)
    def submit_page(request: Request, user: User, source: str = Form(...), month: str = Form(...),
                    file: UploadFile = File(...)):
        code, result = submit(user, source, month, file.file, file.filename, request.app.state.trigger)
        return page(request, "verdict.html", f"校验结果 / Verdict: {result['source']} {result['month']}", user,
                    status_code=code, r=result)

    @app.get("/runs/{source}/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, user: User, source: str, run_id: str):
        shown = request.app.state.run_status(known_source(source).name, run_id)
        return page(request, "run.html", "入库运行 / Ingest run", user, s=shown)

    @app.post("/months/{source}/{month}/run", response_class=HTMLResponse)
    def start_page(request: Request, user: User, source: str, month: str):
        run = start_run(user, source, month, request.app.state.trigger)
        if run["run_id"]:
            root = request.scope.get("root_path", "").rstrip("/")
            return RedirectResponse(f"{root}/runs/{source}/{run['run_id']}", status_code=303)
        return page(request, "error.html", "没有启动运行 / No run started", user, status_code=409, message=run["problem"])

    @app.get("/board", response_class=HTMLResponse)
    def board_page(request: Request, user: User, period: str | None = None):
        shown = board.board(known_half_year(period))
        return page(request, "board.html", f"报送状态 / Status board: {shown.period}", user, b=shown,
                    sources=declared_sources(), cells={(c.source, c.month): c for c in shown.cells},
                    status_zh=board.STATUS_ZH)

    @app.get("/board/{source}/{month}", response_class=HTMLResponse)
    def findings_page(request: Request, user: User, source: str, month: str):
        shown = board.findings(known_source(source).name, known_month(month))
        return page(request, "findings.html", f"{source} {month}", user, d=shown, status_zh=board.STATUS_ZH)

    @app.get("/board/{source}/{month}/report", response_class=HTMLResponse)
    def report_page(request: Request, user: User, source: str, month: str):
        report = board.rejection_report(known_source(source).name, known_month(month))
        if report is None:
            raise HTTPException(404, "没有退回通知 / no rejection report")
        text = mask_id_numbers_in(report.read_text(encoding="utf-8"))
        return page(request, "text.html", f"退回通知 / Rejection report: {source} {month}", user, text=text)

    @app.get("/drafts", response_class=HTMLResponse)
    def drafts_page(request: Request, user: User):
        return page(request, "drafts.html", "报告初稿 / Drafts", user, drafts=drafts.drafts())

    @app.get("/drafts/{period}", response_class=HTMLResponse)
    def draft_page(request: Request, user: User, period: str):
        found = _markdown_draft_or_404(period)
        root = request.scope.get("root_path", "").rstrip("/")
        return page(request, "text.html", f"{period} 初稿 / Draft", user, text=found.markdown.read_text(encoding="utf-8"),
                    download=f"{root}/drafts/{period}/docx" if found.docx else None,
                    facts=[("生成时间 written", found.written_at), ("指标计算时间 KPIs built", found.mart_built_at or "—"),
                           ("与现有数据一致 current", DRAFT_CURRENT.get(found.current, "—"))],
                    files=drafts.built_from(period))

    @app.get("/drafts/{period}/docx")
    def draft_docx(user: User, period: str):
        found = _draft_or_404(period)
        if found.docx is None:
            raise HTTPException(404, "该期间没有 Word 初稿 / no Word draft")
        return FileResponse(found.docx, filename=found.docx.name,
                            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    @app.get("/drafts/{period}/markdown", response_class=PlainTextResponse)
    def draft_markdown(user: User, period: str):
        found = _markdown_draft_or_404(period)
        return PlainTextResponse(found.markdown.read_text(encoding="utf-8"), media_type="text/markdown; charset=utf-8")

    @app.get("/kpis", response_class=HTMLResponse)
    def kpis_page(request: Request, user: User):
        return page(request, "kpis.html", "指标 / KPIs", user, kpis=kpis.catalogue())

    @app.get("/kpis/{code}", response_class=HTMLResponse)
    def kpi_page(request: Request, user: User, code: str):
        shown = _kpi_or_404(code)
        drawn = kpis.chart([m["month"] for m in shown["months"]], [m["value"] for m in shown["months"]])
        return page(request, "kpi.html", f"{shown['name_zh']} / {shown['name_en']}", user, k=shown, chart=drawn)


def _draft_or_404(period: str) -> drafts.Draft:
    found = drafts.draft(period)
    if found is None:
        raise HTTPException(404, "没有该期间的初稿 / no draft for that period")
    return found


def _markdown_draft_or_404(period: str) -> drafts.Draft:
    found = _draft_or_404(period)
    if found.markdown is None:
        raise HTTPException(404, "该期间没有 Markdown 初稿 / no Markdown draft")
    return found


def _kpi_or_404(code: str) -> dict:
    try:
        found = kpis.kpi(code)
    except FileNotFoundError:
        raise HTTPException(404, "尚无已发布的数据仓库 / no published warehouse yet") from None
    if found is None:
        raise HTTPException(404, "没有这个指标 / no such KPI")
    return found

