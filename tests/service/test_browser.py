"""End to end in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium).

A simulated case system launches the pages and the worker does what a PPR psychologist
does: refers a child to BUP with the region's PDF form, both custody holders and their
consent and a copy to the GP; watches the status turn to received in plain words; finds
the GP's reply unread in the mailbox, reads it, answers it in its thread; prints the
referral and fetches its PDF; writes a KM as XDIS91 to a receiver without FHIR. The
service runs its workers on the in-process sandbox network, so the messages really travel.

Every page and state is checked with axe-core for WCAG 2.1 A and AA (see
:mod:`tests.service.axe`; the tests skip when it cannot be installed), at desktop width
and, for the main pages, at a phone's width, where nothing may scroll sideways.
Screenshots of every step are saved under ``out/screenshots/`` (ignored by git) for a
person to look through, with the PDF beside them.
"""

from __future__ import annotations

import json
import os
import re
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
from tests.service import axe
from tests.service.conftest import BUP, CONTEXT, CPR, DENTAL, issue_key
from tests.service.live import serving

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
SHOTS = ROOT / "out" / "screenshots"
PDF_PATH = FIXTURES / "requests" / "henvisningsskema-bup.pdf"
DESKTOP, PHONE = (1200, 1500), (375, 812)
PREVIEW = "//button[not(@hidden) and text()='Se forhåndsvisning']"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="browser tests need Debian's chromium and chromium-driver "
           "(apt-get install -y chromium chromium-driver)")

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def axe_source() -> str:
    source = axe.source()
    if source is None:
        pytest.skip(f"axe-core {axe.VERSION} could not be installed with npm "
                    f"(no npm or no registry); the browser tests check accessibility with it")
    return source


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=da-DK", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
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
    driver: WebDriver, link: str, done: Callable[[WebDriver], object], seconds: float = 45
) -> None:
    """Follow ``link`` (the page's own refresh link) until ``done(driver)`` holds."""
    deadline = time.monotonic() + seconds
    while not done(driver):
        assert time.monotonic() < deadline, "the page did not change in time"
        time.sleep(0.3)
        go(driver, By.LINK_TEXT, link)


def headline(driver: WebDriver) -> str:
    text: str = driver.find_element(By.CSS_SELECTOR, ".status .headline").text
    return text


def main_text(driver: WebDriver) -> str:
    """The page's main text, its white space (line breaks of the layout) as single spaces."""
    text: str = driver.find_element(By.TAG_NAME, "main").text
    return " ".join(text.split())


def check(driver: WebDriver, axe_source: str, name: str, *, phone: bool = False) -> None:
    """Screenshot the page, and assert axe-core finds no WCAG 2.1 A/AA violation on it;
    with ``phone``, the same at a phone's width, where nothing may scroll sideways."""
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    found = axe.violations(driver, axe_source)
    assert found == [], f"{name}: {json.dumps(found, ensure_ascii=False, indent=1)}"
    if not phone:
        return
    driver.set_window_size(*PHONE)
    try:
        driver.save_screenshot(str(SHOTS / f"{name}-mobil.png"))
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name}: the page scrolls {overflow}px sideways on a phone"
        found = axe.violations(driver, axe_source)
        assert found == [], f"{name} (mobil): {json.dumps(found, ensure_ascii=False)}"
    finally:
        driver.set_window_size(*DESKTOP)


def mailbox_row(driver: WebDriver, *parts: str) -> str | None:
    """The text of the first mailbox row containing every one of ``parts``."""
    for row in driver.find_elements(By.CSS_SELECTOR, "table.mailbox tbody tr"):
        text: str = row.text
        if all(p in text for p in parts):
            return text
    return None


def test_a_referral_with_two_custody_holders_from_launch_to_the_gps_reply_and_print(
        browser: WebDriver, live: tuple[str, str], axe_source: str) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "referral"))
    assert d.find_element(By.TAG_NAME, "h1").text == "Henvisning til børne- og ungdomspsykiatrien"
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    assert Select(d.find_element(By.ID, "receiver")).first_selected_option.text == (
        "Vælg barnets region")  # no receiver chosen for the worker
    check(d, axe_source, "01-henvisning-formular", phone=True)

    # a first attempt with the PDF but without a reason: the error, and the file kept
    d.find_element(By.ID, "form").send_keys(str(PDF_PATH))
    go(d, By.XPATH, PREVIEW)
    errors = d.find_element(By.CLASS_NAME, "error-summary").text
    assert "Vælg en modtager" in errors and "Skriv årsagen til henvisningen." in errors
    assert d.find_element(By.ID, "reason").get_attribute("aria-invalid") == "true"
    assert "Vedhæftet: henvisningsskema-bup.pdf" in main_text(d)
    check(d, axe_source, "02-henvisning-fejl-filen-beholdt", phone=True)

    Select(d.find_element(By.ID, "receiver")).select_by_value(BUP)
    d.find_element(By.ID, "reason").send_keys(
        "Vedvarende angst og skolevægring gennem 8 måneder.\n"
        "Forløb i PPR uden tilstrækkelig effekt.")
    d.find_element(By.ID, "diagnosis_code").send_keys("DF419")
    d.find_element(By.ID, "diagnosis_text").send_keys("Angsttilstand, uspecificeret")
    for n, relation, given in ((1, "mor", "Else Test"), (2, "far", "Hans Test")):
        Select(d.find_element(By.ID, f"custody{n}_relation")).select_by_value(relation)
        d.find_element(By.ID, f"custody{n}_given_name").send_keys(given)
        d.find_element(By.ID, f"custody{n}_surname").send_keys("Elmer")
        d.find_element(By.ID, f"custody{n}_consent-ja").click()
    d.find_element(By.ID, "copy_gp").click()
    go(d, By.XPATH, PREVIEW)
    assert d.find_element(By.TAG_NAME, "h1").text == "Forhåndsvisning", main_text(d)[:600]
    summary = d.find_element(By.CLASS_NAME, "summary").text
    assert "Angsttilstand, uspecificeret" in summary
    assert "Far: Hans Test Elmer (samtykker)" in summary
    assert "Ja, til Lægehuset Eksempel" in summary
    main = main_text(d)
    assert "Forældremyndighed (fælles, begge samtykker):" in main
    assert "Kopi til egen læge" in main and CPR not in main
    check(d, axe_source, "03-henvisning-forhaandsvisning", phone=True)

    # "Ret": back in the form with everything, the PDF still attached
    go(d, By.LINK_TEXT, "Ret")
    assert "Vedhæftet: henvisningsskema-bup.pdf" in main_text(d)
    assert d.find_element(By.ID, "custody2_consent-ja").is_selected()
    check(d, axe_source, "04-henvisning-ret")
    go(d, By.XPATH, PREVIEW)
    go(d, By.XPATH, "//button[text()='Send']")
    assert CPR not in d.current_url
    referral = d.current_url.rsplit("/", 1)[1]
    assert headline(d) in ("Sendes", "Afventer svar", "Regionens system har modtaget henvisningen")
    check(d, axe_source, "05-henvisning-sendt")
    refresh_until(d, "Opdater status",
                  lambda d: headline(d) == "Regionens system har modtaget henvisningen")
    main = main_text(d)
    assert "godkendt" not in main and "Modtaget og læst af modtagerens system" in main
    assert re.search(r"\d\d\.\d\d\.\d{4} kl\. \d\d\.\d\d", main)  # Danish time
    assert "Kopi af henvisning til BUP til Lægehuset Eksempel" in main
    check(d, axe_source, "06-henvisning-modtaget", phone=True)

    # the GP answers the copy; the reply waits unread in the mailbox
    go(d, By.LINK_TEXT, "Til postkassen")
    refresh_until(d, "Postkasse", lambda d: mailbox_row(d, "Ny", "Fra: Lægehuset Eksempel"))
    row = mailbox_row(d, "Ny", "Fra: Lægehuset Eksempel")
    assert row is not None and "Kopi af henvisning til BUP" in row
    first = d.find_elements(By.CSS_SELECTOR, "table.mailbox tbody tr")[0].text
    assert "Ny" in first  # unread replies first
    assert "1 ulæste" in d.find_element(By.CLASS_NAME, "counts").text
    check(d, axe_source, "07-postkasse-ulaest-svar", phone=True)

    go(d, By.CSS_SELECTOR, "table.mailbox tbody tr td a")
    main = main_text(d)
    assert GP_REPLY in main and "Svar i tråden" in main and "Tidligere tekst" in main
    assert headline(d) == "Modtaget"  # no case system has taken it: not "Leveret"
    check(d, axe_source, "08-svar-fra-laegen", phone=True)
    go(d, By.LINK_TEXT, "Til postkassen")
    assert mailbox_row(d, "Ny") is None  # read now
    go(d, By.CSS_SELECTOR, "table.mailbox tbody tr td a")  # the newest: the GP's reply
    assert GP_REPLY in main_text(d)

    go(d, By.LINK_TEXT, "Besvar i tråden")
    assert "Svar på meddelelse modtaget" in Select(
        d.find_element(By.ID, "reply_to")).first_selected_option.text
    d.find_element(By.ID, "text").send_keys("Tak. Vi deltager gerne i samtalen.")
    check(d, axe_source, "09-svar-formular")
    go(d, By.XPATH, PREVIEW)
    assert "Svar i tråden" in main_text(d) and GP_REPLY in main_text(d)
    check(d, axe_source, "10-svar-forhaandsvisning")
    go(d, By.XPATH, "//button[text()='Send']")
    refresh_until(d, "Opdater status",
                  lambda d: headline(d) == "Modtagerens system har modtaget meddelelsen")
    check(d, axe_source, "11-svar-modtaget")

    go(d, By.LINK_TEXT, "Til postkassen")
    go(d, By.XPATH, "//button[starts-with(normalize-space(.), 'Markér som besvaret')]")
    assert mailbox_row(d, "Fra: Lægehuset Eksempel", "· besvaret") is not None
    check(d, axe_source, "12-postkasse-besvaret")

    # the referral for filing: print view, and its PDF
    d.get(f"{base}/udskriv/{referral}")
    main = main_text(d)
    assert "Henvisning til Eksempel Regionshospital" in main and "Bilag" in main
    assert "Mor: Else Test Elmer - samtykker til henvisningen" in main
    check(d, axe_source, "13-henvisning-udskrift", phone=True)
    cookie = d.get_cookie("mca_session")
    assert cookie is not None
    pdf = httpx.get(f"{base}/udskriv/{referral}/pdf", cookies={"mca_session": cookie["value"]})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    (SHOTS / "13-henvisning-udskrift.pdf").write_bytes(pdf.content)

    d.get(f"{base}/postkasse/barn")
    assert "Barnets meddelelser" in d.find_element(By.TAG_NAME, "h1").text
    check(d, axe_source, "14-barnets-meddelelser", phone=True)
    d.get(f"{base}/forloeb")  # the course's henvisninger: the referral recorded itself
    assert "Børne- og ungdomspsykiatri" in main_text(d)
    check(d, axe_source, "15-forloebets-henvisninger", phone=True)
    d.get(f"{base}/statistik")
    check(d, axe_source, "16-statistik", phone=True)


def test_km_as_xdis91_is_received_and_the_reply_appears_in_the_mailbox(
        browser: WebDriver, live: tuple[str, str], axe_source: str) -> None:
    base, key = live
    d = browser
    d.get(press_button(base, key, "km"))
    assert d.find_element(By.TAG_NAME, "h1").text == "Korrespondancemeddelelse"
    receiver = Select(d.find_element(By.ID, "receiver"))
    assert "egen læge" in receiver.first_selected_option.text  # the child's GP, from launch
    receiver.select_by_value(DENTAL)  # takes no FHIR
    d.find_element(By.ID, "topic").send_keys("Status på forløbet")
    d.find_element(By.ID, "text").send_keys("Kære tandplejen\nForløbet i PPR er afsluttet; "
                                            "vores notat er vedlagt.")
    d.find_element(By.ID, "attachments").send_keys(str(PDF_PATH))
    check(d, axe_source, "20-km-formular", phone=True)
    go(d, By.XPATH, PREVIEW)
    summary = d.find_element(By.CLASS_NAME, "summary").text
    assert "Eksempel Kommunale Tandpleje" in summary and "XDIS91" not in summary
    check(d, axe_source, "21-km-forhaandsvisning")
    go(d, By.XPATH, "//button[text()='Send']")
    refresh_until(d, "Opdater status",
                  lambda d: headline(d) == "Modtagerens system har modtaget meddelelsen")
    check(d, axe_source, "22-km-modtaget")
    go(d, By.LINK_TEXT, "Til postkassen")
    refresh_until(d, "Postkasse", lambda d: mailbox_row(
        d, "Fra: Eksempel Kommunale Tandpleje"))
    check(d, axe_source, "23-postkasse-svar-fra-tandplejen")


def test_a_rejected_care_communication_shows_why_in_danish(
        browser: WebDriver, live: tuple[str, str], tmp_path: Path, axe_source: str) -> None:
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
    assert headline(d) == "Modtagerens system har afvist meddelelsen"
    status = d.find_element(By.CLASS_NAME, "status").text
    assert "En værdi i meddelelsen er ikke blandt de tilladte." in status
    assert "Det kan du gøre: Ret meddelelsen" in status
    assert "value set" not in main_text(d)
    check(d, axe_source, "30-fhir-afvist", phone=True)
    d.get(f"{base}/postkasse")
    assert "afvist" in (mailbox_row(d, "Til:") or "")
    check(d, axe_source, "31-postkasse-afvist")


def test_error_pages_are_clear_and_accessible(browser: WebDriver, live: tuple[str, str],
                                              axe_source: str) -> None:
    base, key = live
    url = press_button(base, key, "referral")
    browser.get(url)
    browser.get(url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Linket kan ikke bruges"
    assert "allerede brugt" in main_text(browser)
    check(browser, axe_source, "40-link-brugt", phone=True)
    browser.get(f"{base}/status/abc")
    assert "Siden findes ikke" in main_text(browser)
    check(browser, axe_source, "41-side-findes-ikke")
    browser.delete_all_cookies()
    browser.get(f"{base}/postkasse")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sessionen er udløbet"
    check(browser, axe_source, "42-session-udloebet")


def test_the_accessibility_check_finds_what_it_should(browser: WebDriver,
                                                      axe_source: str) -> None:
    """A page with an unlabelled image and field, no language and grey-on-grey text: the
    check that passes our pages must fail this one."""
    browser.get("data:text/html;charset=utf-8,<title>x</title><img src='x.png'>"
                "<input type='text'><p style='color:%23bbb;background:%23ccc'>tekst</p>")
    found = {v["id"] for v in axe.violations(browser, axe_source)}
    assert {"image-alt", "label", "html-has-lang", "color-contrast"} <= found, found
