"""The button-integration contract, checked against a running service.

``certify --integration URL --key KEY`` drives the service API the way a case system uses it
(``docs/integration.md``): a key is required, launch URLs work once, referrals and KMs are
queued and followed to their receipt, a course's messages are found, received KM is polled
with the cursor, errors are RFC 9457 problems that never echo what was sent, and another
case system's messages do not exist for a key (404, never 403). Each item is judged on what
the service answered; the evidence is the requests made and the answers' status, type and
request id (never a body: they carry CPR numbers).

Run it against a test or sandbox service: it queues a real referral and a real KM for
MedCom's test patient, and waits for their receipts and for a received KM to poll.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from medcom_adapter.certify.codes import hint
from medcom_adapter.certify.runner import FileResult, Finding
from medcom_adapter.resources import fixtures

PROBLEM = "application/problem+json"
NO_SUCH_ID = 2**53 - 1  # the largest id the API takes: never a real message
DONE = ("acknowledged",)
FINAL_FAILURES = ("rejected", "failed", "timed_out")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    title: str  # what the contract promises, as the vendor guide says it


ITEMS = (
    Item("I-AUTH", "no key or a wrong key: 401 api.unauthorized with WWW-Authenticate: Bearer"),
    Item("I-LAUNCH", "POST /api/launch: 201 with a URL that opens the page once"),
    Item("I-LAUNCH-UNIT", "a launch for a unit the key does not act for: 403 api.forbidden"),
    Item("I-PROBLEM", "an invalid request: 422 problem+json naming each field, echoing "
                      "nothing sent, instance = X-Request-Id"),
    Item("I-REFERRAL", "POST /api/referrals: queued, then acknowledged by the BUP department"),
    Item("I-KM", "POST /api/km: queued, then acknowledged by the GP"),
    Item("I-IDEMPOTENT", "a send posted again with its Idempotency-Key is answered as the "
                         "first (same ids, Idempotent-Replayed) and queues nothing; the key "
                         "with another body is 422 api.idempotency-mismatch"),
    Item("I-SEARCH", "POST /api/messages/search by forløbs-ID finds the course's messages"),
    Item("I-INBOUND", "GET /api/inbound pages received KM with the cursor: ascending ids, "
                      "none twice, none lost, limit kept"),
    Item("I-NOT-FOUND", "an unknown message or route: 404 api.not-found as problem+json"),
    Item("I-TENANCY", "another case system's key: the messages do not exist for it (404, "
                      "not 403) and are not in its search or inbound"),
)


@dataclass
class ItemResult:
    item: Item
    failures: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the item could not be checked

    @property
    def passed(self) -> bool:
        return not self.failures and self.skipped is None


class _Failed(Exception):
    """The item cannot go on: what it needed did not happen."""


class Contract:
    """One run of the contract against ``base`` with ``key`` (and ``other_key``, a key of
    another case system or unit, for the tenancy item)."""

    def __init__(
        self, base: str, key: str, *, other_key: str | None = None,
        context: Mapping[str, Any] | None = None, referral_to: str = "88020001000016009",
        km_to: str = "265161000016000", timeout: float = 60.0, poll: float = 0.25,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base.rstrip("/")
        self.key = key
        self.other_key = other_key
        self.context = dict(context or default_context())
        self.context["episode_id"] = str(uuid.uuid4())  # a course of this run's own
        self.referral_to = referral_to
        self.km_to = km_to
        self.timeout = timeout
        self.poll = poll
        self.sleep = sleep
        self.clock = clock
        self.http = httpx.Client(base_url=self.base, timeout=30.0, transport=transport,
                                 follow_redirects=False)
        self.results: list[ItemResult] = []
        self.queued: dict[str, int] = {}  # item id -> the journal id it queued
        self._current: ItemResult | None = None

    # -- running ---------------------------------------------------------------------------
    def run(self, progress: Callable[[str], None] = lambda line: None) -> list[ItemResult]:
        checks: dict[str, Callable[[], None]] = {
            "I-AUTH": self._auth, "I-LAUNCH": self._launch, "I-LAUNCH-UNIT": self._launch_unit,
            "I-PROBLEM": self._problem, "I-REFERRAL": self._referral, "I-KM": self._km,
            "I-IDEMPOTENT": self._idempotent,
            "I-SEARCH": self._search, "I-INBOUND": self._inbound,
            "I-NOT-FOUND": self._not_found, "I-TENANCY": self._tenancy,
        }
        try:
            for n, item in enumerate(ITEMS, 1):
                progress(f"[{n}/{len(ITEMS)}] {item.id}: {item.title}")
                result = ItemResult(item)
                self.results.append(result)
                self._current = result
                try:
                    checks[item.id]()
                except _Failed as exc:
                    result.failures.append(str(exc))
                except httpx.HTTPError as exc:
                    result.failures.append(f"the service did not answer: {type(exc).__name__}: "
                                           f"{exc}")
                progress("    skipped: " + result.skipped if result.skipped else
                         "    passed" if result.passed else
                         "    FAILED: " + "; ".join(result.failures))
        finally:
            self.http.close()
        return self.results

    def _fail(self, why: str) -> None:
        assert self._current is not None
        self._current.failures.append(why)

    def _request(self, method: str, path: str, *, key: str | None = "",
                 body: Any = None, params: Mapping[str, Any] | None = None,
                 absolute: bool = False, extra: Mapping[str, str] | None = None,
                 ) -> httpx.Response:
        """One request, recorded as evidence: method, path, status, type, request id."""
        assert self._current is not None
        headers = {} if key is None else {"Authorization": f"Bearer {key or self.key}"}
        headers.update(extra or {})
        if absolute:
            response = self.http.request(method, path, headers=headers)
            shown = httpx.URL(path).path.rsplit("/", 1)[0] + "/…"  # the token is a secret
        else:
            response = self.http.request(method, path, headers=headers, json=body,
                                         params=params)
            shown = path + (f"?{httpx.QueryParams(params)}" if params else "")
        who = "no key" if key is None else "other key" if key == self.other_key else "key"
        self._current.evidence.append(
            f"{method} {shown} ({who}) -> {response.status_code} "
            f"{response.headers.get('content-type', '-').split(';')[0]}"
            f" [request {response.headers.get('x-request-id', '-')}]")
        return response

    def _expect(self, response: httpx.Response, status: int, what: str) -> None:
        if response.status_code != status:
            raise _Failed(f"{what}: expected {status}, got {response.status_code}"
                          + _problem_code(response))

    def _problem_of(self, response: httpx.Response, status: int, code: str,
                    what: str) -> dict[str, Any]:
        """Check ``response`` is the RFC 9457 problem the contract promises."""
        self._expect(response, status, what)
        kind = response.headers.get("content-type", "").split(";")[0]
        if kind != PROBLEM:
            self._fail(f"{what}: Content-Type {kind or 'none'}, expected {PROBLEM}")
            return {}
        problem: dict[str, Any] = response.json()
        if problem.get("code") != code:
            self._fail(f"{what}: code {problem.get('code')!r}, expected {code!r}")
        if problem.get("status") != status:
            self._fail(f"{what}: problem status {problem.get('status')!r}, expected {status}")
        if problem.get("type") != f"urn:medcom-adapter:problem:{code}":
            self._fail(f"{what}: type {problem.get('type')!r} does not name {code}")
        request_id = response.headers.get("x-request-id")
        if not request_id or problem.get("instance") != f"urn:uuid:{request_id}":
            self._fail(f"{what}: instance {problem.get('instance')!r} is not the "
                       f"X-Request-Id {request_id!r}")
        return problem

    # -- the items -------------------------------------------------------------------------
    def _auth(self) -> None:
        bare = self._request("POST", "/api/launch", key=None,
                             body={**self.context, "kind": "km"})
        self._problem_of(bare, 401, "api.unauthorized", "without a key")
        if not bare.headers.get("www-authenticate", "").startswith("Bearer"):
            self._fail("without a key: no WWW-Authenticate: Bearer header")
        wrong = self._request("GET", "/api/inbound", key="mca_000000000000_wrong")
        self._problem_of(wrong, 401, "api.unauthorized", "with a wrong key")

    def _launch(self) -> None:
        made = self._request("POST", "/api/launch", body={**self.context, "kind": "km"})
        self._expect(made, 201, "launch")
        body = made.json()
        url, expires = body.get("url"), body.get("expires")
        if not isinstance(url, str) or "/launch/" not in url:
            raise _Failed(f"launch: no launch URL in the answer (fields {sorted(body)})")
        if self.context["patient"]["cpr"] in url:
            self._fail("launch: the URL carries the CPR number")
        try:
            until = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        except ValueError:
            self._fail(f"launch: expires {expires!r} is not a time")
        else:
            if until <= datetime.now(UTC):
                self._fail(f"launch: the URL expired on arrival ({expires})")
        first = self._request("GET", url, absolute=True, key=None)
        if first.status_code != 303 or "set-cookie" not in first.headers:
            self._fail(f"launch URL, first use: expected 303 with a session cookie, got "
                       f"{first.status_code}")
        again = self._request("GET", url, absolute=True, key=None)
        if again.status_code < 400:
            self._fail(f"launch URL, second use: expected a refusal, got {again.status_code}"
                       " (a launch URL works once)")

    def _launch_unit(self) -> None:
        other_unit = {**self.context["unit"], "sor": "100000000000000001"}
        refused = self._request("POST", "/api/launch",
                                body={**self.context, "unit": other_unit, "kind": "km"})
        self._problem_of(refused, 403, "api.forbidden", "a launch for another unit")

    def _problem(self) -> None:
        # a value breaking a MedCom rule (CPR day 32), then two fields of the wrong shape
        cpr = "3213999999"
        bad = {**self.context, "kind": "km", "patient": {**self.context["patient"], "cpr": cpr}}
        self._names(bad, ("patient.cpr",), (cpr,), "a launch with an invalid CPR number")
        short_cpr, short_ean = "250947", "579000012345"
        shapeless = {**self.context, "kind": "km",
                     "patient": {**self.context["patient"], "cpr": short_cpr},
                     "unit": {**self.context["unit"], "ean": short_ean}}
        self._names(shapeless, ("patient.cpr", "unit.ean"), (short_cpr, short_ean),
                    "a launch with two malformed fields")

    def _names(self, body: dict[str, Any], paths: tuple[str, ...], sent: tuple[str, ...],
               what: str) -> None:
        response = self._request("POST", "/api/launch", body=body)
        problem = self._problem_of(response, 422, "api.validation", what)
        named = {e.get("path") for e in problem.get("errors", []) if isinstance(e, dict)}
        for path in paths:
            if path not in named:
                self._fail(f"{what}: no error names {path} (named: "
                           f"{sorted(p for p in named if p)})")
        if any(value in response.text for value in sent):
            self._fail(f"{what}: the problem echoes a value that was sent")

    def _referral(self) -> None:
        pdf = (fixtures() / "requests" / "henvisningsskema-bup.pdf").read_bytes()
        body = {**self.context, "receiver_sor": self.referral_to,
                "reason": "Barnet har i PPR's forløb vist tegn på angst (kontraktprøve).",
                "form": {"title": "Henvisningsskema",
                         "data_base64": base64.b64encode(pdf).decode("ascii")}}
        self._queue_and_follow("I-REFERRAL", "/api/referrals", body, ("XREF01",))

    def _km(self) -> None:
        body = {**self.context, "receiver_sor": self.km_to, "category": "carecoordination",
                "text": "Kære læge. Kontraktprøve fra kommunens sagssystem."}
        self._queue_and_follow("I-KM", "/api/km", body, ("CareCommunication", "XDIS91"))

    def _queue_and_follow(self, item: str, path: str, body: dict[str, Any],
                          kinds: tuple[str, ...]) -> None:
        made = self._request("POST", path, body=body)
        self._expect(made, 201, path)
        queued = made.json()
        if queued.get("status") != "queued" or queued.get("kind") not in kinds:
            self._fail(f"{path}: answered status {queued.get('status')!r}, kind "
                       f"{queued.get('kind')!r} (expected queued, {' or '.join(kinds)})")
        ids = queued.get("ids")
        if not isinstance(queued.get("id"), int) or not isinstance(ids, list) \
                or ids[:1] != [queued.get("id")]:
            raise _Failed(f"{path}: 'id' must be the first of 'ids' (got {queued.get('id')!r},"
                          f" {ids!r})")
        journal_id: int = queued["id"]
        self.queued[item] = journal_id
        status, seen = self._follow(journal_id)
        if status not in DONE:
            self._fail(f"message {journal_id}: {status} after {self.timeout:g} s (statuses "
                       f"seen: {', '.join(seen)}); expected acknowledged")
        if seen[:1] != ["queued"]:
            self._fail(f"message {journal_id}: its history starts with {seen[:1]}, not queued")

    def _follow(self, journal_id: int) -> tuple[str, list[str]]:
        """Poll a message's status until acknowledged, finally refused, or the timeout."""
        deadline = self.clock() + self.timeout
        status, seen = "unknown", []
        first = True
        while True:
            response = self._read(journal_id, record=first)
            first = False
            self._expect(response, 200, f"GET /api/messages/{journal_id}")
            message = response.json()
            status = str(message.get("status"))
            seen = [str(h.get("status")) for h in message.get("history", [])]
            if status in DONE or status in FINAL_FAILURES or self.clock() >= deadline:
                if self._current is not None:
                    self._current.evidence.append(
                        f"message {journal_id}: {status} (history {' > '.join(seen)})")
                return status, seen
            self.sleep(self.poll)

    def _read(self, journal_id: int, *, record: bool) -> httpx.Response:
        if record:
            return self._request("GET", f"/api/messages/{journal_id}")
        return self.http.get(f"/api/messages/{journal_id}",
                             headers={"Authorization": f"Bearer {self.key}"})

    def _idempotent(self) -> None:
        once = {"Idempotency-Key": f"kontraktproeve-{uuid.uuid4()}"}
        body = {**self.context, "receiver_sor": self.km_to, "category": "carecoordination",
                "text": "Kære læge. Kontraktprøve: sendt én gang, selv om den sendes igen."}
        first = self._request("POST", "/api/km", body=body, extra=once)
        self._expect(first, 201, "POST /api/km with an Idempotency-Key")
        queued = first.json()
        self.queued["I-IDEMPOTENT"] = queued["id"]
        before = self._course()
        again = self._request("POST", "/api/km", body=body, extra=once)
        self._expect(again, 201, "the same send again with the same key")
        if (again.json().get("id"), again.json().get("ids")) != (queued["id"], queued["ids"]):
            self._fail(f"the same send again: ids {again.json().get('ids')}, expected the "
                       f"first answer's {queued['ids']}")
        if again.headers.get("idempotent-replayed") != "true":
            self._fail("the same send again: no Idempotent-Replayed: true header")
        after = self._course()
        if after != before:
            self._fail(f"the same send again queued {len(after - before)} more message(s)")
        other = self._request("POST", "/api/km", extra=once,
                              body={**body, "text": "Kære læge. En anden meddelelse."})
        self._problem_of(other, 422, "api.idempotency-mismatch", "the key with another body")

    def _course(self) -> set[int]:
        """The journal ids of what this run's course (forløbs-ID) sent: the GP's answers
        join the course as they arrive, so received messages do not count."""
        found = self.http.post("/api/messages/search", json={
            "episode_id": self.context["episode_id"]},
            headers={"Authorization": f"Bearer {self.key}"})
        self._expect(found, 200, "search by forløbs-ID")
        return {int(m["id"]) for m in found.json() if m.get("direction") == "outbound"}

    def _search(self) -> None:
        found = self._request("POST", "/api/messages/search",
                              body={"episode_id": self.context["episode_id"]})
        self._expect(found, 200, "search by forløbs-ID")
        ids = {m.get("id") for m in found.json()}
        for item, journal_id in self.queued.items():
            if journal_id not in ids:
                self._fail(f"search by forløbs-ID: the message {item} queued ({journal_id}) "
                           "is not found")
        if not self.queued:
            raise _Failed("nothing was queued to search for (I-REFERRAL and I-KM failed)")
        empty = self._request("POST", "/api/messages/search", body={})
        self._problem_of(empty, 422, "api.validation", "a search naming nothing")

    def _inbound(self) -> None:
        deadline = self.clock() + self.timeout
        while True:  # the GP's answer to the KM: at least one received KM to page through
            first = self._page(0, 100, record=False)
            if first["messages"] or self.clock() >= deadline:
                break
            self.sleep(self.poll)
        every = [m["id"] for m in first["messages"]]
        while first["more"]:
            first = self._page(first["next"], 100, record=False)
            every += [m["id"] for m in first["messages"]]
        if not every:
            raise _Failed(f"no received KM within {self.timeout:g} s to page through")
        paged: list[int] = []
        after = 0
        for _ in range(len(every) + 2):
            page = self._page(after, 1, record=len(paged) < 3)
            if len(page["messages"]) > 1:
                self._fail(f"after={after}&limit=1 gave {len(page['messages'])} messages")
            paged += [m["id"] for m in page["messages"]]
            if page["messages"] and page["next"] != page["messages"][-1]["id"]:
                self._fail(f"after={after}: next is {page['next']}, not the last id on the page")
            if not page["more"]:
                after = page["next"]
                break
            after = page["next"]
        if paged != sorted(set(paged)):
            self._fail(f"paging with the cursor gave ids out of order or twice: {paged}")
        lost = sorted(set(every) - set(paged))
        if lost:
            self._fail(f"paging one at a time lost {lost}, which one page of 100 gave")
        # more may have arrived meanwhile: only ever later than what was there
        if any(i < max(every) for i in set(paged) - set(every)):
            self._fail("paging one at a time gave ids one page of 100 did not have")
        tail = self._page(after, 20, record=True)
        ids = [m["id"] for m in tail["messages"]]
        if any(i <= after for i in ids) or tail["next"] != (ids[-1] if ids else after):
            self._fail(f"after the last id ({after}): ids {ids}, next {tail['next']} "
                       "(expected only later ids, next = the last of them or the cursor)")
        over = self._request("GET", "/api/inbound", params={"after": 0, "limit": 101})
        self._problem_of(over, 422, "api.validation", "limit=101")

    def _page(self, after: int, limit: int, *, record: bool) -> dict[str, Any]:
        params = {"after": after, "limit": limit}
        response = self._request("GET", "/api/inbound", params=params) if record else \
            self.http.get("/api/inbound", params=params,
                          headers={"Authorization": f"Bearer {self.key}"})
        self._expect(response, 200, f"GET /api/inbound?after={after}&limit={limit}")
        page: dict[str, Any] = response.json()
        if not isinstance(page.get("messages"), list) or not isinstance(page.get("next"), int):
            raise _Failed("GET /api/inbound: the page lacks messages or next")
        return page

    def _not_found(self) -> None:
        none = self._request("GET", f"/api/messages/{NO_SUCH_ID}")
        self._problem_of(none, 404, "api.not-found", "an unknown message")
        route = self._request("GET", "/api/no-such-route")
        self._problem_of(route, 404, "api.not-found", "an unknown route")

    def _tenancy(self) -> None:
        assert self._current is not None
        if self.other_key is None:
            self._current.skipped = "needs --other-key (a key of another case system or unit)"
            return
        if not self.queued:
            raise _Failed("nothing was queued to hide (I-REFERRAL and I-KM failed)")
        for item, journal_id in self.queued.items():
            hidden = self._request("GET", f"/api/messages/{journal_id}", key=self.other_key)
            self._problem_of(hidden, 404, "api.not-found",
                             f"the other key reading {item}'s message {journal_id}")
        found = self._request("POST", "/api/messages/search", key=self.other_key,
                              body={"episode_id": self.context["episode_id"]})
        if found.status_code == 200 and found.json():
            self._fail(f"the other key's search finds {len(found.json())} of this course's "
                       "messages")
        elif found.status_code != 200:
            self._fail(f"the other key's search: expected 200 and nothing, got "
                       f"{found.status_code}")
        mine = {m["id"] for m in self._page(0, 100, record=False)["messages"]}
        theirs = self._request("GET", "/api/inbound", key=self.other_key,
                               params={"after": 0, "limit": 100})
        if theirs.status_code == 200:
            leaked = mine & {m.get("id") for m in theirs.json().get("messages", [])}
            if leaked:
                self._fail("the other key's inbound shows this unit's received KM "
                           f"{sorted(leaked)}")


def _problem_code(response: httpx.Response) -> str:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return ""
    return f" ({code})" if code else ""


def default_context() -> dict[str, Any]:
    """The example context a case system posts (MedCom's test patient, the example unit)."""
    context: dict[str, Any] = json.loads(
        (fixtures() / "requests" / "launch.json").read_text(encoding="utf-8"))
    context.pop("kind", None)
    return context


def rows(results: list[ItemResult]) -> list[FileResult]:
    """The results as report rows: each failure a finding, the evidence as notes."""
    return [FileResult(
        f"{r.item.id}: {r.item.title}", not r.failures, "integration contract", None,
        tuple(Finding("contract.failed", None, None, why, hint("contract.failed"))
              for why in r.failures)
        + ((Finding("contract.skipped", None, None, r.skipped, hint("contract.skipped"),
                    warning=True),) if r.skipped else ())
        + tuple(Finding("contract.evidence", None, None, line, hint("contract.evidence"),
                        warning=True) for line in r.evidence))
        for r in results]


def text(results: list[ItemResult]) -> str:
    lines = [f"FAILED {r.item.id}: {why}" for r in results for why in r.failures]
    lines += [f"skipped {r.item.id}: {r.skipped}" for r in results if r.skipped]
    failed = sum(1 for r in results if r.failures)
    skipped = sum(1 for r in results if r.skipped)
    lines.append(f"{len(results)} contract items: {len(results) - failed - skipped} passed, "
                 f"{failed} failed, {skipped} skipped")
    return "\n".join(lines) + "\n"
