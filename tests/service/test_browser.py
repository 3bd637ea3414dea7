"""End to end in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium).

A simulated case system launches the pages; the worker fills and sends a referral with the
region's PDF form and a KM reply to the GP; the outbox and the sandbox's answers are played
by writing to the journal as the worker would. Screenshots of the key pages are saved under
``out/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.oioxml.receipting import answer
from medcom_adapter.service import Settings, create_app
from tests.conftest import FIXTURES, ROOT
from tests.service.conftest import CONTEXT, CPR
from tests.service.inbound import inbound_care_communication
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
def live() -> Iterator[tuple[str, MemoryJournal, str]]:
    settings = Settings()
    key = settings.api_keys.add("sbsys-browser")[1]
    journal = MemoryJournal()
    with serving(create_app(journal, settings)) as base:
        yield base, journal, key


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


def shot(driver: object, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_referral_with_pdf_from_launch_to_receipted(browser: object, live: tuple) -> None:
    base, journal, key = live
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
    status = d.find_element(By.CLASS_NAME, "status").text
    assert status == "Status: I kø til afsendelse"
    journal_id = int(d.current_url.rsplit("/", 1)[1])  # type: ignore[attr-defined]
    assert CPR not in d.current_url  # type: ignore[attr-defined]

    # The outbox sends it; the BUP department answers with a positive receipt.
    sent = journal.get(journal_id)
    journal.set_status(journal_id, Status.SENT)
    receipt = answer(sent.message.data, now=datetime(2026, 11, 20, 10, 0))
    journal.append(NewMessage(Direction.INBOUND, "XCTL03", "XC0330Q", receipt.build(),
                              "R1", "R1", answers=journal_id), Status.RECEIVED)
    journal.set_status(journal_id, Status.ACKNOWLEDGED)
    go(d, By.LINK_TEXT, "Opdater status")
    assert d.find_element(By.CLASS_NAME, "status").text == "Status: Kvitteret af modtageren"
    assert "Positiv kvittering" in d.find_element(By.TAG_NAME, "main").text
    shot(d, "04-henvisning-status-kvitteret")

    go(d, By.LINK_TEXT, "Til journalen")
    d.find_element(By.ID, "cpr").send_keys(CPR)
    go(d, By.XPATH, "//button[text()='Søg']")
    assert "Henvisning" in d.find_element(By.TAG_NAME, "table").text
    assert CPR not in d.current_url  # type: ignore[attr-defined]
    shot(d, "05-journal-soegning")


def test_km_reply_to_the_gp_with_attachment(browser: object, live: tuple) -> None:
    base, journal, key = live
    inbound_id, _ = inbound_care_communication(journal)
    d = browser
    d.get(press_button(base, key, "km"))  # type: ignore[attr-defined]
    assert d.find_element(By.TAG_NAME, "h1").text == "Korrespondancemeddelelse"
    Select(d.find_element(By.ID, "reply_to")).select_by_value(str(inbound_id))
    d.find_element(By.ID, "topic").send_keys("Status på forløbet")
    d.find_element(By.ID, "text").send_keys("Kære læge\nForløbet i PPR er afsluttet; "
                                            "henvisningen til BUP er vedlagt.")
    d.find_element(By.ID, "attachments").send_keys(str(PDF_PATH))
    shot(d, "06-km-formular")
    go(d, By.CSS_SELECTOR, "button[type=submit]")
    assert "Svar på" in d.find_element(By.CLASS_NAME, "summary").text
    shot(d, "07-km-forhaandsvisning")
    go(d, By.XPATH, "//button[text()='Send']")
    journal_id = int(d.current_url.rsplit("/", 1)[1])  # type: ignore[attr-defined]
    assert journal.get(journal_id).message.kind == "XDIS91"
    journal.set_status(journal_id, Status.SENT)
    journal.set_status(journal_id, Status.ACKNOWLEDGED)
    go(d, By.LINK_TEXT, "Opdater status")
    assert d.find_element(By.CLASS_NAME, "status").text == "Status: Kvitteret af modtageren"
    shot(d, "08-km-status")


def test_a_reused_launch_url_shows_a_clear_page(browser: object, live: tuple) -> None:
    base, _, key = live
    url = press_button(base, key, "referral")
    browser.get(url)  # type: ignore[attr-defined]
    browser.get(url)  # type: ignore[attr-defined]
    assert browser.find_element(By.TAG_NAME, "h1").text == "Linket kan ikke bruges"  # type: ignore[attr-defined]
    assert "allerede brugt" in browser.find_element(By.TAG_NAME, "main").text  # type: ignore[attr-defined]
    shot(browser, "09-link-brugt")
