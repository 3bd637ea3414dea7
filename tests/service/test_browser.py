"""End to end in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium).

A simulated case system launches the pages; the worker fills and sends a referral with the
region's PDF form and a KM to the GP. The service runs its workers on the in-process
sandbox network, so the messages really travel: the status page turns to receipted when
the BUP department (via DNHF) or the GP has answered, and the GP's reply appears in the
unit's journal view. The test only reads pages. Screenshots of the key pages are saved
under ``out/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from medcom_adapter.journal.factory import open_journal
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.background import sandbox_loop
from medcom_adapter.workers.hooks import CollectingHook
from tests.conftest import FIXTURES, ROOT
from tests.service.conftest import CONTEXT, CPR
from tests.service.live import serving

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
SHOTS = ROOT / "out" / "screenshots"
PDF_PATH = FIXTURES / "requests" / "henvisningsskema-bup.pdf"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="browser tests need Debian's chromium and chromium-driver "
           "(apt-get install -y chromium chromium-driver)")

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1200,1500", "--lang=da-DK", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``serve`` as shipped: an SQLite journal, the workers on the sandbox network."""
    settings = Settings()
    key = settings.api_keys.add("sbsys-browser")[1]
    env = {"MEDCOM_DATA_DIR": str(tmp_path)}
    journal, own = open_journal(None, env=env), open_journal(None, env=env)
    workers = sandbox_loop(own, settings.directory, unit_ean=CONTEXT["unit"]["ean"],
                           hook=CollectingHook(), interval=0.2, close=True)
    with serving(create_app(journal, settings, workers=workers)) as base:
        yield base, key
    journal.close()


def press_button(base: str, key: str, kind: str) -> str:
    """What the case system does when the worker presses its button."""
    response = httpx.post(f"{base}/api/launch", json={**CONTEXT, "kind": kind},
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    return url


def go(driver: object, by: str, what: str) -> None:
    """Click a button or link and wait until the next page has replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")  # type: ignore[attr-defined]
    driver.find_element(by, what).click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(page))


def refresh_until(driver: object, link: str, done: object, seconds: float = 30) -> None:
    """Follow ``link`` (the page's own refresh link) until ``done(driver)`` holds."""
    deadline = time.monotonic() + seconds
    while not done(driver):  # type: ignore[operator]
        assert time.monotonic() < deadline, "the page did not change in time"
        time.sleep(0.3)
        go(driver, By.LINK_TEXT, link)


def status_of(driver: object) -> str:
    text: str = driver.find_element(By.CLASS_NAME, "status").text  # type: ignore[attr-defined]
    return text


def shot(driver: object, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_referral_with_pdf_from_launch_to_receipted(browser: object, live: tuple) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "referral"))  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Henvisning til børne- og ungdomspsykiatrien"
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    assert d.find_element(By.ID, "class-boerne-ungdomspsykiatri").is_selected()
    shot(d, "01-henvisning-formular")

    go(d, By.CSS_SELECTOR, "button[type=submit]")
    errors = d.find_element(By.CLASS_NAME, "error-summary").text
    assert "Skriv årsagen til henvisningen." in errors
    assert d.find_element(By.ID, "reason").get_attribute("aria-invalid") == "true"
    shot(d, "02-henvisning-fejl")

    d.find_element(By.ID, "reason").send_keys(
        "Vedvarende angst og skolevægring gennem 8 måneder.\n"
        "Forløb i PPR uden tilstrækkelig effekt.")
    d.find_element(By.ID, "diagnosis_code").send_keys("DF419")
    d.find_element(By.ID, "diagnosis_text").send_keys("Angsttilstand, uspecificeret")
    Select(d.find_element(By.ID, "relative_relation")).select_by_value("mor")
    d.find_element(By.ID, "relative_given_name").send_keys("Else Test")
    d.find_element(By.ID, "relative_surname").send_keys("Elmer")
    d.find_element(By.ID, "form").send_keys(str(PDF_PATH))
    go(d, By.CSS_SELECTOR, "button[type=submit]")
    assert d.find_element(By.TAG_NAME, "h1").text == "Forhåndsvisning"
    assert "Angsttilstand, uspecificeret" in d.find_element(By.CLASS_NAME, "summary").text
    shot(d, "03-henvisning-forhaandsvisning")

    go(d, By.XPATH, "//button[text()='Send']")
    assert status_of(d).startswith("Status: ")
    assert CPR not in d.current_url  # type: ignore[attr-defined]
    # The workers send it to DNHF, which forwards it; the department's receipt comes back.
    refresh_until(d, "Opdater status", lambda d: status_of(d) == "Status: Kvitteret af modtageren")
    main = d.find_element(By.TAG_NAME, "main").text
    assert "Positiv kvittering" in main and "XBIN02" in main
    shot(d, "04-henvisning-status-kvitteret")

    go(d, By.LINK_TEXT, "Til journalen")
    d.find_element(By.ID, "cpr").send_keys(CPR)
    go(d, By.XPATH, "//button[text()='Søg']")
    assert "Henvisning" in d.find_element(By.TAG_NAME, "table").text
    assert CPR not in d.current_url  # type: ignore[attr-defined]
    shot(d, "05-journal-soegning")


def test_km_to_the_gp_is_receipted_and_the_reply_appears_in_the_journal(
        browser: object, live: tuple) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "km"))  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Korrespondancemeddelelse"
    Select(d.find_element(By.ID, "receiver")).select_by_value("265161000016000")
    d.find_element(By.ID, "topic").send_keys("Status på forløbet")
    d.find_element(By.ID, "text").send_keys("Kære læge\nForløbet i PPR er afsluttet; "
                                            "henvisningen til BUP er vedlagt.")
    d.find_element(By.ID, "attachments").send_keys(str(PDF_PATH))
    shot(d, "06-km-formular")
    go(d, By.CSS_SELECTOR, "button[type=submit]")
    assert "Lægehuset Eksempel" in d.find_element(By.CLASS_NAME, "summary").text
    shot(d, "07-km-forhaandsvisning")
    go(d, By.XPATH, "//button[text()='Send']")
    assert "Korrespondance (XDIS91)" in d.find_element(By.TAG_NAME, "h1").text
    refresh_until(d, "Opdater status", lambda d: status_of(d) == "Status: Kvitteret af modtageren")
    shot(d, "08-km-status")

    # The GP's system answers the KM; the reply is journaled and shown for the unit.
    go(d, By.LINK_TEXT, "Til journalen")
    refresh_until(d, "Journal", lambda d: "Modtaget" in d.find_element(
        By.TAG_NAME, "main").text)
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert any("Modtaget" in r and "Korrespondance (XDIS91)" in r
               and "Leveret til fagsystemet" in r for r in rows), rows
    shot(d, "09-journal-svar-fra-laegen")


def test_a_reused_launch_url_shows_a_clear_page(browser: object, live: tuple) -> None:
    base, key = live
    url = press_button(base, key, "referral")
    browser.get(url)  # type: ignore[attr-defined]
    browser.get(url)  # type: ignore[attr-defined]
    assert browser.find_element(By.TAG_NAME, "h1").text == "Linket kan ikke bruges"  # type: ignore[attr-defined]
    assert "allerede brugt" in browser.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    shot(browser, "10-link-brugt")
