"""The page in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by Selenium.

It labels a batch with the keyboard, undoes one, and checks what the database holds; document text with HTML in
it must show as text. Screenshots are saved to the test's folder, and to the folder named by the environment
variable ``ACTIVETEXT_APP_SCREENSHOTS`` when it is set (``docs/images`` to refresh the documentation's).
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("selenium")

from app_helpers import LABELS, Client, label_true, new_project, serving, wait_for, write_texts
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HOSTILE = ' <img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        message = "the browser test needs Debian's chromium and chromium-driver (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser test, never skip it
        pytest.skip(message)
    return browser, driver


@pytest.fixture
def browser(tmp_path):
    binary, driver_path = chromium_paths()
    options = Options()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def hostile_texts(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Topic texts with HTML and script appended to every document."""
    path, truth = write_texts(tmp_path, n_per_class=40)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(rows[0])
        writer.writerows([row[0], row[1] + HOSTILE, row[2]] for row in rows[1:])
    return path, truth


def screenshot(driver, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"app-{name}.png"
    driver.save_screenshot(str(path))
    target = os.environ.get("ACTIVETEXT_APP_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / path.name)


def click_oldest_recent(driver) -> bool:
    """Click the oldest entry of the recent labels (the list is redrawn now and then: retry when it was)."""
    try:
        driver.find_elements(By.CSS_SELECTOR, "#recent-list button")[-1].click()
    except (StaleElementReferenceException, IndexError):
        return False
    return True


def shown_id(driver) -> str:
    return driver.find_element(By.ID, "doc-meta").text.split()[1]


def test_label_a_batch_with_the_keyboard_and_undo_one(browser, tmp_path):
    texts, truth = hostile_texts(tmp_path)
    folder = new_project(tmp_path / "project", texts, name="Support inbox <b>triage</b>")
    with serving(folder) as server:
        admin = Client(server.url, server.admin_token)
        for count in (12, 24):  # so that models, a curve and a stopping verdict exist
            label_true(admin, truth, 12)
            wait_for(lambda count=count: (admin.get("/api/stats")[1]["model"] or {}).get("labels") == count)
        alice_token = admin.post("/api/annotators", {"name": "alice"})[1]["token"]

        browser.get(server.url)  # no token yet: the sign-in form
        wait_for(lambda: browser.find_element(By.ID, "login").is_displayed())
        screenshot(browser, tmp_path, "sign-in")

        browser.get(f"{server.url}#token={alice_token}")
        wait_for(lambda: browser.find_element(By.ID, "doc-meta").text.startswith("document"))
        assert "#token" not in browser.current_url  # the token leaves the address bar
        assert browser.find_element(By.ID, "project-name").text == "Support inbox <b>triage</b>"
        assert browser.find_element(By.ID, "me").text == "alice"
        body = browser.find_element(By.TAG_NAME, "body")
        labeled = []
        for _ in range(6):
            external_id = shown_id(browser)
            text = browser.find_element(By.ID, "doc-text").text
            assert text.endswith(HOSTILE.strip())  # shown as text, not markup
            key = str(LABELS.index(truth[external_id]) + 1)
            body.send_keys(key)
            wait_for(lambda previous=external_id: shown_id(browser) != previous)
            labeled.append(external_id)
        assert browser.execute_script("return window.pwned === undefined")
        wait_for(lambda: "model: " in browser.find_element(By.ID, "training").text)
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#curve polyline"))
        wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#recent-list li")) == 6)
        screenshot(browser, tmp_path, "labeling")

        body.send_keys("u")  # undo the last label: that document comes back
        wait_for(lambda: shown_id(browser) == labeled[-1])
        assert "Undid your label" in browser.find_element(By.ID, "message").text

        connection = sqlite3.connect(folder / "activetext.db")
        stored = connection.execute(
            """SELECT d.external_id, a.label FROM annotations a JOIN documents d ON d.id = a.document_id
               JOIN annotators n ON n.id = a.annotator_id WHERE n.name = 'alice'"""
        ).fetchall()
        connection.close()
        assert sorted(stored) == sorted((external_id, LABELS.index(truth[external_id])) for external_id in labeled[:-1])

        # a correction from the recent list: open the first label, press another key
        wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#recent-list li")) == 5)
        wait_for(lambda: click_oldest_recent(browser) and "correcting" in browser.find_element(By.ID, "doc-meta").text)
        first = labeled[0]
        assert shown_id(browser) == first
        other = next(index for index, name in enumerate(LABELS) if name != truth[first])
        body.send_keys(str(other + 1))
        wait_for(lambda: "Corrected" in browser.find_element(By.ID, "message").text)
        connection = sqlite3.connect(folder / "activetext.db")
        label = connection.execute(
            "SELECT a.label FROM annotations a JOIN documents d ON d.id = a.document_id WHERE d.external_id = ?",
            (first,),
        ).fetchone()[0]
        connection.close()
        assert label == other
