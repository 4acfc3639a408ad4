"""Headless Chromium for the end-to-end tests: Debian's `chromium` and `chromium-driver`, installed where
missing (as the stack's tests install PostgreSQL), driven by Selenium through the system chromedriver.

Selenium Manager is never asked for a driver or a browser (it would download them): both paths are given.
The browser is kept off the network: no background services, and every host name but the loopback
address resolves to nothing.
"""
from __future__ import annotations

import base64
import shutil
import time
from pathlib import Path

from town_industry.deploy.packages import apt_install
from town_industry.settings import PROJECT_ROOT

DEBIAN_PACKAGES = ("chromium", "chromium-driver")
SCREENSHOTS = PROJECT_ROOT / "build" / "screenshots"
OFFLINE_FLAGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
]


def system_chromium() -> tuple[str, str]:
    """(browser, driver) paths, installing Debian's packages where either is missing."""
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found):
        assert apt_install(*DEBIAN_PACKAGES), "could not install " + " ".join(DEBIAN_PACKAGES)
        found = shutil.which("chromium"), shutil.which("chromedriver")
    assert all(found), f"chromium or chromedriver still missing after installing {DEBIAN_PACKAGES}"
    return found


def start_chromium(downloads: Path):
    """A headless Chromium whose downloads land in ``downloads``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = system_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    # --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--lang=zh-CN", *OFFLINE_FLAGS]:
        options.add_argument(flag)
    chromium = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chromium.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return chromium


def screenshot(chromium, name: str, shows: str, notes: list[str]) -> Path:
    """The whole page (not only the window) as build/screenshots/<name>.png; ``shows`` says what it shows,
    for the index written beside them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = chromium.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    notes.append(f"{path.name}\n    {shows}\n")
    return path


def write_index(notes: list[str]) -> Path:
    path = SCREENSHOTS / "index.txt"
    header = ("Screenshots of the report center, taken by tests/test_scheduler_e2e.py "
              f"(test_a_clerk_in_the_browser_...) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}:\n\n")
    path.write_text(header + "\n".join(notes), encoding="utf-8")
    return path


def downloaded(folder: Path, name: str, timeout: float = 60) -> Path:
    """The file once Chromium has finished writing it (no .crdownload left)."""
    deadline = time.monotonic() + timeout
    target = folder / name
    while time.monotonic() < deadline:
        if target.is_file() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.5)
    raise AssertionError(f"{name} was not downloaded in {timeout:.0f} s; the folder holds {sorted(folder.iterdir())}")


def waiting(chromium, timeout: float = 60):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page that reloads itself (the run's progress) replaces the elements under a wait.
    return WebDriverWait(chromium, timeout, poll_frequency=0.5, ignored_exceptions=[StaleElementReferenceException])


def log_in(chromium, base_url: str, user: str, password: str, before_signing_in=None) -> None:
    """The way a person does: open the report center, follow its link to Airflow's login page, type the
    name and password, sign in; back in the report center as ``user``."""
    from selenium.webdriver.common.by import By

    chromium.get(f"{base_url}/report-center/")
    chromium.delete_all_cookies()  # whoever was logged in before
    chromium.get(f"{base_url}/report-center/")
    waiting(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "a[href*='/auth/login']")).click()
    waiting(chromium).until(lambda d: d.find_element(By.NAME, "username")).send_keys(user)
    chromium.find_element(By.NAME, "password").send_keys(password)
    if before_signing_in:
        before_signing_in()
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    waiting(chromium).until(lambda d: d.current_url.startswith(f"{base_url}/report-center/")
                            and f"user: {user}" in d.find_element(By.TAG_NAME, "nav").text)
