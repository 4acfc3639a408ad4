"""Who is asking, and may they submit a source's file.

The report center runs inside Airflow's api-server, so it uses Airflow's own login: the JWT the UI keeps
in its ``_token`` cookie (or an ``Authorization: Bearer`` header from ``POST /auth/token``), checked by
the auth manager through ``airflow.api_fastapi.core_api.security.get_user``, the dependency Airflow's
REST API uses. Reading needs a valid token. Submitting needs, besides, a place in the source's office
(``offices.py``) and Airflow's permission to start runs of the source's DAG, since an accepted file
starts one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from town_industry.contracts.offices import load_offices

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

_bearer = HTTPBearer(auto_error=False)


async def current_user(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> BaseUser:
    """Airflow's own check (the Bearer token, else the UI's cookie), imported at the first request: every
    Airflow process imports the plugin, only the api-server serves it, and the import costs half a second."""
    from airflow.api_fastapi.core_api.security import get_user

    return await get_user(request, None, credentials)


User = Annotated["BaseUser", Depends(current_user)]


def dag_id_of(source_name: str) -> str:
    return f"ingest_{source_name}"


def may_start_runs(user: BaseUser, source_name: str) -> bool:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    return get_auth_manager().is_authorized_dag(method="POST", access_entity=DagAccessEntity.RUN,
                                                details=DagDetails(id=dag_id_of(source_name)), user=user)


def refusal(user: BaseUser, source_name: str) -> str | None:
    """Why ``user`` may not submit ``source_name``'s file (Chinese, then English), or None if they may."""
    name = user.get_name()
    if not load_offices().may_submit(name, source_name):
        return (f"用户 {name} 不属于报送 {source_name} 的科室，不能报送该报表（科室名单见 include/report_center/offices.yml）"
                f" / user {name} is not in the office that submits {source_name}")
    if not may_start_runs(user, source_name):
        return (f"用户 {name} 在 Airflow 中无权启动 {dag_id_of(source_name)} 的运行，不能报送"
                f" / user {name} may not start runs of {dag_id_of(source_name)} in Airflow")
    return None


def check_may_submit(user: BaseUser, source_name: str) -> None:
    reason = refusal(user, source_name)
    if reason:
        raise HTTPException(status.HTTP_403_FORBIDDEN, reason)
