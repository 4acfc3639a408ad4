"""Airflow plugin: the report center (报表中心), a FastAPI app mounted in the api-server at /report-center
and an entry in the UI's navigation that shows it inside Airflow, under Airflow's login.

The logic lives in the installed ``town_industry`` package (``src/town_industry/report_center/``).
"""
from airflow.plugins_manager import AirflowPlugin

from town_industry.report_center.app import URL_PREFIX, create_app


class ReportCenterPlugin(AirflowPlugin):
    name = "town_industry_report_center"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "报表中心 Report center"}]
    # With url_route, the UI shows the app in a frame at /plugin/report-center, in its own navigation.
    external_views = [{"name": "报表中心 Report center", "href": f"{URL_PREFIX}/", "url_route": "report-center",
                       "destination": "nav", "nav_top_level": True}]
