"""EHMI's central services on loopback, over mutual TLS: an authorisation server, EDS and
EER, as the sandbox's counterparts of the national ones.

One HTTPS server (certificates from :mod:`~medcom_adapter.sandbox.tls`, client
certificates required) serves

- ``/auth/token``: OAuth2 client credentials for enrolled clients (``tls_client_auth``:
  the client id must come with the certificate it was enrolled with); tokens are bound to
  that certificate (sender-constrained), expire, and can be revoked;
- ``/eds/AuditEvent``: registrations checked as EDS does (token valid, scope, the
  certificate the token is bound to, the token's SOR/GLN and device in the AuditEvent)
  and against the profiles' rules a registration must meet; search by
  ``entityIdentifier`` and ``subtype``;
- ``/eer/Endpoint``: the demo's endpoints by ``identifier`` (a location number);
- ``/ap/...``: the access point and the peer MSH behind it (:mod:`.ehmi_ap`), for enrolled
  clients only.

Everything it received is kept in memory for tests and ``make run`` to show.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from medcom_adapter.ehmi import eds
from medcom_adapter.ehmi.eer import GLN_SYSTEM
from medcom_adapter.sandbox.ehmi_ap import AccessPoint
from medcom_adapter.sandbox.tls import SandboxCa, thumbprint

Json = dict[str, Any]
EDS_SCOPE = "EDS system/AuditEvent.crs"
EER_SCOPE = "EER system/Endpoint.rs system/Organization.rs"
_EER_CS = "http://medcomehmi.dk/ig/terminology/CodeSystem/"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A system client as EHMI's enrolment knows it."""

    client_id: str
    fingerprint: str  # of the certificate it must present
    device: str  # its EER Device id
    contexts: frozenset[str]  # "SOR:... GLN:..." it may register for


@dataclass(slots=True)
class _Token:
    client_id: str
    fingerprint: str
    scope: str
    expires: datetime
    revoked: bool = False


@dataclass
class EhmiServices:
    """The services' state; :meth:`start` serves it."""

    ca: SandboxCa
    token_lifetime: timedelta = timedelta(minutes=5)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    endpoints: list[Json] = field(default_factory=list)  # EER Endpoint resources
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    events: list[Json] = field(default_factory=list)  # AuditEvents EDS stored
    refused: list[str] = field(default_factory=list)  # why registrations were refused
    tokens_issued: int = 0
    eer_searches: int = 0
    # set: EDS stores a registration, then waits for this before it answers (a client
    # killed meanwhile left a report EDS holds but the client never heard of)
    hold_answers: threading.Event | None = None
    held: threading.Event = field(default_factory=threading.Event)
    ap: AccessPoint | None = None  # the access point and its peer MSH, at /ap
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None

    def enrol(self, enrolment: Enrolment) -> None:
        self.enrolments[enrolment.client_id] = enrolment

    def revoke(self, client_id: str) -> None:
        with self._lock:
            for token in self._tokens.values():
                if token.client_id == client_id:
                    token.revoked = True

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"https://localhost:{self._server.server_address[1]}"

    def start(self) -> EhmiServices:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.ca.server.cert), str(self.ca.server.key))
        context.load_verify_locations(str(self.ca.ca))
        context.verify_mode = ssl.CERT_REQUIRED
        services = self

        class Handler(_Handler):
            state = services

        server = _Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, name="ehmi-services",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- the authorisation server ---------------------------------------------------------

    def issue(self, form: dict[str, str], fingerprint: str) -> tuple[int, Json]:
        enrolment = self.enrolments.get(form.get("client_id", ""))
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if enrolment is None or enrolment.fingerprint != fingerprint:
            return 401, {"error": "invalid_client"}
        scope = form.get("scope", "")
        if not _allowed(scope, enrolment):
            return 400, {"error": "invalid_scope"}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = _Token(enrolment.client_id, fingerprint, scope,
                                         self.clock() + self.token_lifetime)
            self.tokens_issued += 1
        return 200, {"access_token": token, "token_type": "Bearer",
                     "expires_in": int(self.token_lifetime.total_seconds()), "scope": scope}

    def holder(self, header: str | None, fingerprint: str, needed: str) -> _Token | None:
        """The token a request carries, when it is valid, bound to this certificate and
        scoped for ``needed``."""
        if not header or not header.startswith("Bearer "):
            return None
        with self._lock:
            token = self._tokens.get(header[len("Bearer "):])
        if (token is None or token.revoked or token.expires <= self.clock()
                or token.fingerprint != fingerprint or not token.scope.startswith(needed)):
            return None
        return token

    # -- EDS ----------------------------------------------------------------------------

    def register(self, token: _Token, body: bytes) -> tuple[int, Json]:
        try:
            event = json.loads(body)
        except ValueError:
            return 400, _outcome("not JSON")
        problems = check_event(event, token.scope, self.enrolments[token.client_id].device)
        if problems:
            self.refused.extend(problems)
            return 422, _outcome("; ".join(problems))
        stored = {**event, "id": str(uuid.uuid4())}
        with self._lock:
            self.events.append(stored)
        return 201, stored

    def search(self, query: dict[str, list[str]]) -> Json:
        """AuditEvents matching every parameter given (EDS's search parameters, by the
        expressions of dk-ehmi-eds's SearchParameter definitions; unknown ones are ignored
        as a FHIR server may)."""
        with self._lock:
            found = [e for e in self.events if all(
                _matches(e, name, value) for name, values in query.items() for value in values)]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{"resource": e} for e in found]}

    # -- EER ----------------------------------------------------------------------------

    def endpoints_for(self, identifier: str) -> Json:
        gln = identifier.split("|")[-1]
        self.eer_searches += 1
        found = [e for e in self.endpoints
                 if any(i.get("value") == gln for i in e.get("identifier", []))]
        return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                "entry": [{"resource": e} for e in found]}


def eer_endpoint(gln: str, connection: str, codes: list[str], *, address: str) -> Json:
    """An EerEndpointMessaging: a location number reached on ``connection``
    (EerMessagingEdelivery, EerMessagingEdeliveryFhir, vansMessaging) taking ``codes`` of
    MedCom's message-definition registry."""
    return {"resourceType": "Endpoint", "id": f"ep-{gln}-{connection}", "status": "active",
            "identifier": [{"use": "official", "system": GLN_SYSTEM, "value": gln}],
            "connectionType": {"system": _EER_CS + "eer-endpoint-connection-type",
                               "code": connection},
            "payloadType": [{"coding": [{"system": _EER_CS + "ehmi-message-definition-uri",
                                         "code": code}]} for code in codes],
            "address": address}


def _allowed(scope: str, enrolment: Enrolment) -> bool:
    if scope == EER_SCOPE:
        return True
    if not scope.startswith(EDS_SCOPE + " "):
        return False
    return scope[len(EDS_SCOPE) + 1:] in enrolment.contexts


def _identifiers(event: Json) -> set[str]:
    return {str(e.get("what", {}).get("identifier", {}).get("value")) for e in event["entity"]}


def _entities(event: Json, *kinds: str) -> set[str]:
    return {str(e.get("what", {}).get("identifier", {}).get("value"))
            for e in event.get("entity", []) if e.get("type", {}).get("code") in kinds}


def _party(event: Json, role: str) -> set[str]:
    """An agent's SOR code, location numbers and name (senderOrg / receiverOrg)."""
    found: set[str] = set()
    for agent in event.get("agent", []):
        if agent.get("type", {}).get("coding", [{}])[0].get("code") != role:
            continue
        found.add(str(agent.get("who", {}).get("identifier", {}).get("value")))
        found |= {str(x.get("valueIdentifier", {}).get("value"))
                  for x in agent.get("extension", []) if x.get("url") == eds.OTHER_ID}
        if agent.get("name"):
            found.add(str(agent["name"]))
    return found


_ENTITY_IDS = ("ehmiMessage", "ehmiMessageEnvelope", "ehmiTransportEnvelope",
               "ehmiOrigMessage", "ehmiOrigTransportEnvelope")
_AT_MOST_ONE = ("ehmiPatient", "ehmiMessageEnvelope", "ehmiTransportEnvelope",
                "ehmiOrigMessage", "ehmiOrigTransportEnvelope")
_PREFIXES = {"eq": lambda a, b: a == b, "ge": lambda a, b: a >= b, "le": lambda a, b: a <= b,
             "gt": lambda a, b: a > b, "lt": lambda a, b: a < b}


def _matches(event: Json, name: str, value: str) -> bool:
    if name == "entityIdentifier":
        return value in _entities(event, *_ENTITY_IDS)
    if name == "message-id":
        return value in _entities(event, "ehmiMessage")
    if name == "orig-message-id":
        return value in _entities(event, "ehmiOrigMessage")
    if name == "cpr":
        return value in _entities(event, "ehmiPatient")
    if name == "subtype":
        return bool(event["subtype"][0]["code"] == value)
    if name == "outcome":
        return bool(event.get("outcome") == value)
    if name == "ehmiMessageType":
        return value in {d.get("valueString") for e in event.get("entity", [])
                         for d in e.get("detail", []) if d.get("type") == "ehmiMessageType"}
    if name in ("senderOrg", "receiverOrg"):
        return value in _party(event, "ehmiSender" if name == "senderOrg" else "ehmiReceiver")
    if name == "participant-sor":
        return value in _party(event, "ehmiSender") | _party(event, "ehmiReceiver")
    if name == "date":
        prefix = value[:2] if value[:2] in _PREFIXES else "eq"
        wanted = value[2:] if value[:2] in _PREFIXES else value
        try:
            recorded = datetime.fromisoformat(event["recorded"])
            return bool(_PREFIXES[prefix](recorded, datetime.fromisoformat(wanted)))
        except (KeyError, ValueError):
            return False
    return True


def check_event(event: Json, scope: str, device: str) -> list[str]:
    """Why EDS would refuse ``event`` registered under ``scope`` by ``device``: the
    profiles' rules a registration must meet (EdsBasic/PatientDeliveryStatus: one subtype,
    one sender and one receiver agent, one ehmiMessage entity and at most one of each other
    entity slice (an ehmiTransportEnvelope may be left out: 0..1), a patient entity under
    the patient profile) and the token's context (its SOR code and location number are one
    agent's, its device the observer)."""
    problems = []
    if event.get("resourceType") != "AuditEvent":
        return ["not an AuditEvent"]
    profiles = event.get("meta", {}).get("profile", [])
    if profiles not in ([eds.PATIENT_PROFILE], [eds.BASIC_PROFILE]):
        problems.append(f"meta.profile {profiles} is not an EDS profile")
    if len(event.get("subtype", [])) != 1 or event.get("type", {}).get("system") != eds.TYPES:
        problems.append("type and exactly one subtype are required")
    roles = [a.get("type", {}).get("coding", [{}])[0].get("code") for a in event.get("agent", [])]
    if roles.count("ehmiSender") != 1 or roles.count("ehmiReceiver") != 1:
        problems.append("one ehmiSender and one ehmiReceiver agent are required")
    kinds = [e.get("type", {}).get("code") for e in event.get("entity", [])]
    if kinds.count("ehmiMessage") != 1:
        problems.append("exactly one ehmiMessage entity is required")
    for kind in _AT_MOST_ONE:  # optional slices (0..1): EDS takes events without them
        if kinds.count(kind) > 1:
            problems.append(f"at most one {kind} entity is allowed")
    if (eds.PATIENT_PROFILE in profiles) != ("ehmiPatient" in kinds):
        problems.append("an ehmiPatient entity goes with EdsPatientDeliveryStatus only")
    if event.get("source", {}).get("observer", {}).get("reference") != f"Device/{device}":
        problems.append("source.observer is not the token's device")
    context = dict(part.split(":", 1) for part in scope.split()[2:] if ":" in part)
    agents = [(a.get("who", {}).get("identifier", {}).get("value"),
               {x.get("valueIdentifier", {}).get("value") for x in a.get("extension", [])})
              for a in event.get("agent", [])]
    if not any(sor == context.get("SOR") and context.get("GLN") in glns
               for sor, glns in agents):
        problems.append("no agent has the token's SOR code and location number")
    return problems


def _outcome(text: str) -> Json:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "diagnostics": text}]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):  # a client gone is no error here
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    state: EhmiServices
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests and the demo print what matters

    def _fingerprint(self) -> str:
        connection = self.connection
        der = connection.getpeercert(binary_form=True) if isinstance(
            connection, ssl.SSLSocket) else None
        return thumbprint(der) if der else ""

    def _answer(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json"
                         if body.get("resourceType") else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _raw(self, status: int, data: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _access_point(self) -> AccessPoint | None:
        """The access point, when this client is one it serves (an enrolled MSH)."""
        ap, fingerprint = self.state.ap, self._fingerprint()
        if ap is None or not any(e.fingerprint == fingerprint
                                 for e in self.state.enrolments.values()):
            self._answer(403 if ap is not None else 404, _outcome("no access point for you"))
            return None
        return ap

    def do_DELETE(self) -> None:
        path = urlsplit(self.path).path
        if not path.startswith("/ap/inbound/"):
            self._answer(404, _outcome(f"no {path}"))
        elif (ap := self._access_point()) is not None:
            self._raw(204 if ap.settle(path.rsplit("/", 1)[-1]) else 404)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/ap/outbound":
            if (ap := self._access_point()) is not None:
                self._raw(ap.hand_over(body, self.headers.get("Idempotency-Key")))
        elif path == "/auth/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self._answer(*self.state.issue(form, self._fingerprint()))
        elif path == "/eds/AuditEvent":
            token = self.state.holder(self.headers.get("Authorization"), self._fingerprint(),
                                      EDS_SCOPE)
            if token is None:
                self._answer(401, _outcome("no valid token bound to this certificate"))
                return
            status, stored = self.state.register(token, body)
            hold = self.state.hold_answers
            if status == 201 and hold is not None:
                self.state.held.set()
                hold.wait()
            self._answer(status, stored, {"Location": f"{self.state.url}/eds/AuditEvent/"
                                                      f"{stored['id']}/_history/1"}
                         if status == 201 else None)
        else:
            self._answer(404, _outcome(f"no {path}"))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path.startswith("/ap/inbound"):
            if (ap := self._access_point()) is None:
                return
            if parts.path == "/ap/inbound":
                data = json.dumps(ap.inbox(query.get("receiver", [""])[0])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                found = ap.take(parts.path.rsplit("/", 1)[-1])
                self._raw(200 if found is not None else 404, found or b"")
            return
        needed = {"/eds/AuditEvent": EDS_SCOPE, "/eer/Endpoint": EER_SCOPE}.get(parts.path)
        if needed is None:
            self._answer(404, _outcome(f"no {parts.path}"))
            return
        if self.state.holder(self.headers.get("Authorization"), self._fingerprint(),
                             needed) is None:
            self._answer(401, _outcome("no valid token bound to this certificate"))
            return
        if parts.path == "/eds/AuditEvent":
            self._answer(200, self.state.search(query))
        else:
            self._answer(200, self.state.endpoints_for(query.get("identifier", [""])[0]))
