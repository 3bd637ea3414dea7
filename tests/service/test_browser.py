"""End to end in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium).

A simulated case system launches the pages; the worker fills and sends a referral with the
region's PDF form, a KM as XDIS91 to a receiver without FHIR, and a KM as a FHIR
CareCommunication to the GP, answered in its thread. The service runs its workers on the
in-process sandbox network, so the messages really travel: the status page turns to
receipted when the BUP department (via DNHF), the dental service or the GP has answered
(an XCTL receipt or an Acknowledgement), and the replies appear in the unit's journal.
The tests only read pages (one puts a GP's rejection in the journal first). Screenshots of
the key pages are saved under ``out/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from medcom_adapter.errors import Issue
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.acknowledging import answer
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.node import sandbox_loop
from medcom_adapter.sandbox.counterparts import GP_REPLY
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.apikeys import SCOPES
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.submit_fhir import prepare_care_communication
from tests.conftest import FIXTURES, ROOT
from tests.service.conftest import CONTEXT, CPR, DENTAL, GP, issue_key
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
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
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
    env = {"MEDCOM_DATA_DIR": str(tmp_path)}
    journal, own = open_journal(None, env=env), open_journal(None, env=env)
    key = issue_key(journal, "sbsys-browser", SCOPES)[1]
    workers = sandbox_loop(own, settings.directory, unit_ean=CONTEXT["unit"]["ean"],
                           hook=CollectingHook(), interval=0.2, close=True)
    with serving(create_app(journal, settings, workers=workers)) as base:
        yield base, key
    journal.close()


def press_button(base: str, key: str, kind: str) -> str:
    """What the case system does when the worker presses its button (the unit's journal
    opened too: the tests search it)."""
    response = httpx.post(f"{base}/api/launch", json={**CONTEXT, "kind": kind, "journal": True},
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    return url


def go(driver: WebDriver, by: str, what: str) -> None:
    """Click a button or link and wait until the next page has replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(by, what).click()

    def replaced(_: WebDriver) -> bool:
        # chromedriver reports a node of the replaced document as stale or, when asked
        # mid-navigation, as "not belonging to the document": both mean the page changed
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 15).until(replaced)


def refresh_until(
    driver: WebDriver, link: str, done: Callable[[WebDriver], object], seconds: float = 30
) -> None:
    """Follow ``link`` (the page's own refresh link) until ``done(driver)`` holds."""
    deadline = time.monotonic() + seconds
    while not done(driver):
        assert time.monotonic() < deadline, "the page did not change in time"
        time.sleep(0.3)
        go(driver, By.LINK_TEXT, link)


def status_of(driver: WebDriver) -> str:
    text: str = driver.find_element(By.CLASS_NAME, "status").text
    return text


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_referral_with_pdf_from_launch_to_receipted(
    browser: WebDriver, live: tuple[str, str]
) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "referral"))
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
    assert CPR not in d.current_url
    # The workers send it to DNHF, which forwards it; the department's receipt comes back.
    refresh_until(d, "Opdater status", lambda d: status_of(d) == "Status: Kvitteret af modtageren")
    main = d.find_element(By.TAG_NAME, "main").text
    assert "Positiv kvittering" in main and "XBIN02" in main
    shot(d, "04-henvisning-status-kvitteret")

    go(d, By.LINK_TEXT, "Til journalen")
    d.find_element(By.ID, "cpr").send_keys(CPR)
    go(d, By.XPATH, "//button[text()='Søg']")
    assert "Henvisning" in d.find_element(By.TAG_NAME, "table").text
    assert CPR not in d.current_url
    shot(d, "05-journal-soegning")


def test_km_as_xdis91_is_receipted_and_the_reply_appears_in_the_journal(
        browser: WebDriver, live: tuple[str, str]) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "km"))
    assert d.find_element(By.TAG_NAME, "h1").text == "Korrespondancemeddelelse"
    Select(d.find_element(By.ID, "receiver")).select_by_value(DENTAL)  # takes no FHIR
    d.find_element(By.ID, "topic").send_keys("Status på forløbet")
    d.find_element(By.ID, "text").send_keys("Kære tandplejen\nForløbet i PPR er afsluttet; "
                                            "vores notat er vedlagt.")
    d.find_element(By.ID, "attachments").send_keys(str(PDF_PATH))
    shot(d, "06-km-formular")
    go(d, By.CSS_SELECTOR, "button[type=submit]")
    summary = d.find_element(By.CLASS_NAME, "summary").text
    assert "Eksempel Kommunale Tandpleje" in summary and "(XDIS91)" in summary
    shot(d, "07-km-forhaandsvisning")
    go(d, By.XPATH, "//button[text()='Send']")
    assert "Korrespondance (XDIS91)" in d.find_element(By.TAG_NAME, "h1").text
    refresh_until(d, "Opdater status", lambda d: status_of(d) == "Status: Kvitteret af modtageren")
    assert "Positiv kvittering" in d.find_element(By.CLASS_NAME, "answers").text
    shot(d, "08-km-status")

    # The dental service's system answers the KM; the reply is journaled for the unit.
    go(d, By.LINK_TEXT, "Til journalen")
    refresh_until(d, "Journal", lambda d: "Modtaget" in d.find_element(
        By.TAG_NAME, "main").text)
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert any("Modtaget" in r and "Korrespondance (XDIS91)" in r
               and "Leveret til fagsystemet" in r for r in rows), rows
    shot(d, "09-journal-svar-fra-tandplejen")


def received_fhir_rows(driver: WebDriver) -> list[WebElement]:
    return [r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")
            if "Modtaget" in r.text and "Korrespondance (FHIR)" in r.text]


def test_km_as_care_communication_is_acknowledged_and_answered_in_its_thread(
        browser: WebDriver, live: tuple[str, str]) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "km"))
    Select(d.find_element(By.ID, "receiver")).select_by_value(GP)
    assert "FHIR" in Select(d.find_element(By.ID, "receiver")).first_selected_option.text
    go(d, By.CSS_SELECTOR, "button[type=submit]")  # no category, no text
    assert d.find_element(By.ID, "category").get_attribute("aria-invalid") == "true"
    assert "Vælg en kategori" in d.find_element(By.ID, "category-fejl").text
    shot(d, "11-fhir-km-fejl")

    Select(d.find_element(By.ID, "category")).select_by_visible_text("Forløbskoordinering")
    d.find_element(By.ID, "topic").send_keys("Status på forløbet")
    d.find_element(By.ID, "text").send_keys("Kære læge\nForløbet i PPR er afsluttet; "
                                            "henvisningen til BUP er vedlagt.")
    d.find_element(By.ID, "attachments").send_keys(str(PDF_PATH))
    go(d, By.CSS_SELECTOR, "button[type=submit]")
    main = d.find_element(By.TAG_NAME, "main").text
    assert "FHIR-korrespondance (CareCommunication)" in main
    assert "Korrespondance (FHIR), version 5.0" in main and "Forløbskoordinering" in main
    assert "250947-xxxx" in main and CPR not in main
    shot(d, "12-fhir-km-forhaandsvisning")

    go(d, By.XPATH, "//button[text()='Send']")
    assert "Korrespondance (FHIR)" in d.find_element(By.TAG_NAME, "h1").text
    refresh_until(d, "Opdater status", lambda d: status_of(d) == "Status: Kvitteret af modtageren")
    answers = d.find_element(By.CLASS_NAME, "answers").text
    assert "Kvittering (FHIR): ok" in answers and "Modtaget og godkendt" in answers
    shot(d, "13-fhir-km-kvitteret")

    # The GP answers in the thread; the reply is journaled and shown for the unit.
    go(d, By.LINK_TEXT, "Til journalen")
    refresh_until(d, "Journal", lambda d: bool(received_fhir_rows(d)))
    (row,) = received_fhir_rows(d)
    assert "Leveret til fagsystemet" in row.text
    shot(d, "14-journal-svar-fra-laegen")
    link = row.find_element(By.TAG_NAME, "a").get_attribute("href") or ""
    go(d, By.CSS_SELECTOR, f"tbody a[href='/status/{link.rsplit('/', 1)[1]}']")
    main = d.find_element(By.TAG_NAME, "main").text
    assert GP_REPLY in main and "Svar i tråden" in main and "Tidligere tekst" in main
    shot(d, "15-svar-fra-laegen")

    go(d, By.LINK_TEXT, "Besvar i tråden")
    assert "Svar på meddelelse" in Select(
        d.find_element(By.ID, "reply_to")).first_selected_option.text
    d.find_element(By.ID, "text").send_keys("Tak. Vi deltager gerne i samtalen.")
    go(d, By.CSS_SELECTOR, "button[type=submit]")
    main = d.find_element(By.TAG_NAME, "main").text
    assert "Svar i tråden" in main and GP_REPLY in main
    assert "gentaget fra tråden uden indhold" in main
    shot(d, "16-svar-forhaandsvisning")
    go(d, By.XPATH, "//button[text()='Send']")
    refresh_until(d, "Opdater status", lambda d: status_of(d) == "Status: Kvitteret af modtageren")
    assert "Kvittering (FHIR): ok" in d.find_element(By.CLASS_NAME, "answers").text
    shot(d, "17-svar-kvitteret")


def test_a_rejected_care_communication_shows_why_in_danish(
        browser: WebDriver, live: tuple[str, str], tmp_path: Path) -> None:
    """A GP's fatal-error Acknowledgement, put in the journal as the inbox would (the
    sandbox's GP only rejects invalid messages, which the service never sends)."""
    base, key = live
    journal = open_journal(None, env={"MEDCOM_DATA_DIR": str(tmp_path)})
    raw = json.loads((FIXTURES / "requests" / "km-gp.json").read_text(encoding="utf-8"))
    (entry,) = prepare_care_communication(Settings().directory, raw,
                                          files=FIXTURES / "requests").entries
    sent = journal.append(entry, Status.SENT)
    ack = answer(json.loads(entry.data), [Issue(
        "fhir.binding", "code 'x' is not in the value set", "Communication.category")],
        now=datetime.now(UTC)).ack
    assert ack is not None
    journal.append(NewMessage(
        Direction.INBOUND, "Acknowledgement", "2.0", json.dumps(ack_bundle(ack)).encode(),
        ack.bundle_id, ack.message_id, sender_ean=entry.receiver_ean,
        receiver_ean=entry.sender_ean, answers=sent), Status.DELIVERED)
    journal.set_status(sent, Status.REJECTED, reason="Acknowledgement fatal-error")
    journal.close()
    d = browser
    d.get(press_button(base, key, "km"))
    d.get(f"{base}/status/{sent}")
    assert status_of(d) == "Status: Afvist af modtageren"
    assert d.find_element(By.CLASS_NAME, "reason").text == (
        "Begrundelse: En værdi i meddelelsen er ikke blandt de tilladte.")
    answers = d.find_element(By.CLASS_NAME, "answers").text
    assert "Kvittering (FHIR): fatal-error" in answers
    assert "En værdi i meddelelsen er ikke blandt de tilladte." in answers
    shot(d, "18-fhir-afvist")


def test_a_reused_launch_url_shows_a_clear_page(browser: WebDriver, live: tuple[str, str]) -> None:
    base, key = live
    url = press_button(base, key, "referral")
    browser.get(url)
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Linket kan ikke bruges"
    assert "allerede brugt" in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, "10-link-brugt")
