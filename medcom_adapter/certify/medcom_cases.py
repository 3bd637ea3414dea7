"""MedCom's own test cases, by MedCom's ids: the CareCommunication 5.0 send TestScripts and
the Acknowledgement 2.0 receive TestScripts, with their purpose in Danish and their
assertions as our checks (``bundle_checks``).

Send cases ask the system under test for one CareCommunication and check it; reply and
forward cases first send the kit's message (``ours``) and check the answer against it.
Acknowledgement receive cases check that the system takes the kit's scripted
Acknowledgements (ok, fatal-error, transient-error, duplicates) without answering them;
what only a person can see (the user is told, the Acknowledgement is linked to the message)
is a checklist in the report.
"""

from __future__ import annotations

from medcom_adapter.certify import bundle_checks as c
from medcom_adapter.certify.scenarios import Direction, Scenario, ThreadRule

CC_SCRIPTS = "CareCommunication TestScripts 5.0.0"
ACK_SCRIPTS = "Acknowledgement TestScripts 2.0.0"
ACK_PROTOCOL = "Acknowledgement Testprotocol Receive 2.0.4"
CC = "CareCommunication"
S = Direction.SEND

# The test receivers MedCom's TestScripts name (public SOR and GS1 registrations).
AABENRAA = ("Sundhedsplejen, Aabenraa Kommune", "5790001353308", "330461000016004")
KOLDING = ("SLB Hjertesygdomme Ambulatorium (Kolding), Kolding Sygehus", "5790002027451",
           "349061000016004")
SKEJBY = ("Klinik for Ældresygdomme, AUH, Skejby", "5790001987244", "441211000016000")
PPR_AALBORG = ("Pædagogisk Psykologisk Rådgivning, Aalborg Kommune", "5790002632389",
               "1385391000016002")
OLGOD = ("Lægeklinik Ølgod", "5790002626814", "1339531000016004")

# the kit's message a reply or forward answers: one text, a topic, category 'other'
OURS_SIMPLE = "fhir/CareCommunication-5.0-category-other.json"
OURS_EPISODE = "fhir/CareCommunication-5.0-new-every-optional-element.json"
OURS_FORWARDED = "fhir/CareCommunication-5.0-forward.json"


def _new(*extra: c.Check, to: tuple[str, str, str] | None = None) -> tuple[c.Check, ...]:
    receiver = c.receiver_is(to[1], to[2]) if to else ()
    return (c.event_code(), c.activity("new-message"), c.provenance_targets_header(),
            c.thread_id_uuid(), *extra, *receiver)


def _answer(*extra: c.Check, added: int = 1) -> tuple[c.Check, ...]:
    return (c.predecessor(), c.event_code(), c.revision(), c.provenance_targets_header(),
            c.provenance_count(), c.payload_count(added), *extra)


def _send(id: str, title: str, ask: str, checks: tuple[c.Check, ...],
          to: tuple[str, str, str] | None = None) -> Scenario:
    where = f" Send it to {to[0]} (EAN {to[1]}, SOR {to[2]})." if to else ""
    return Scenario(f"carecommunication-send-{id}", title, S, ask=ask + where, kind=CC,
                    thread=ThreadRule.NEW, checks=checks, source=f"{CC_SCRIPTS}: "
                    f"TestScript carecommunication-send-{id}")


def _reply(id: str, title: str, ask: str, checks: tuple[c.Check, ...], *,
           ours: str = OURS_SIMPLE, rule: ThreadRule = ThreadRule.REPLY) -> Scenario:
    return Scenario(f"carecommunication-send-{id}", title, S, ask=ask, kind=CC, thread=rule,
                    checks=checks, ours=ours,
                    source=f"{CC_SCRIPTS}: TestScript carecommunication-send-{id}")


def _attachment(mime: str, name: str) -> Scenario:
    return _send(f"new-attachment-{name}", f"Ny meddelelse med et {name}-bilag",
                 f"Send a new CareCommunication with a {mime} file attached.",
                 _new(c.attachment_type(mime), to=AABENRAA), AABENRAA)


_FORWARD = ThreadRule.FORWARD

CARECOMMUNICATION_SEND: tuple[Scenario, ...] = (
    _send("new-message", "Ny meddelelse til en navngiven modtager",
          "Send a new CareCommunication with a text.", _new(to=SKEJBY), SKEJBY),
    _send("new-topic", "Ny meddelelse med emne", "Send a new CareCommunication with a topic.",
          _new(c.topic(), to=OLGOD), OLGOD),
    _send("new-category-other", "Ny meddelelse med kategorien 'Andet' og emne",
          "Send a new CareCommunication with category 'other' and a topic.",
          _new(c.category("other"), c.topic(), to=KOLDING), KOLDING),
    _send("new-priority", "Ny meddelelse vedr. henvisning med prioritet",
          "Send a new CareCommunication with category 'regarding-referral' and a priority.",
          _new(c.category("regarding-referral"), c.priority(), to=PPR_AALBORG), PPR_AALBORG),
    _attachment("application/pdf", "pdf"),
    _attachment("image/png", "png"),
    _attachment("image/jpeg", "jpeg"),
    _attachment("image/gif", "gif"),
    _attachment("image/tiff", "tiff"),
    _attachment("image/bmp", "bmp"),
    _send("new-attachment-link", "Ny meddelelse med et bilag som link",
          "Send a new CareCommunication with an attachment given as a link (url).",
          _new(c.link_attachment(), to=AABENRAA), AABENRAA),
    _send("new-attachment-multiple", "Ny meddelelse med flere bilag",
          "Send a new CareCommunication with several attached files.",
          _new(c.attachments_with_data(2), to=AABENRAA), AABENRAA),
    _send("new-attachment-structured", "Ny meddelelse med bilag, oprettelsestid og "
          "struktureret forfatter", "Send a new CareCommunication with an attachment that "
          "has a creation time and a structured author.",
          _new(c.attachment_creation(), c.structured_author(), to=AABENRAA), AABENRAA),
    _send("tec-01", "Meddelelse om en død patient",
          "Send a new CareCommunication about a deceased patient.", _new(c.deceased())),
    _send("tec-02", "Meddelelse med specifik afsender og modtager", "Send a new "
          "CareCommunication naming a specific sender and a specific recipient.",
          _new(c.sender_extension(), c.recipient())),
    _send("tec-03", "Patient med CPR-nummer", "Send a new CareCommunication about a patient "
          "identified by a CPR number.", _new(c.patient_cpr())),
    _send("tec-04", "Patient med erstatnings-CPR", "Send a new CareCommunication about a "
          "patient identified by a replacement CPR number.", _new(c.patient_replacement())),
    _send("tec-05", "Meddelelse med forløbs-id (episodeOfCare)", "Send a new "
          "CareCommunication with an episode-of-care identifier.", _new(c.episode_uuid())),
    _reply("reply-message", "Svar på en meddelelse", "Reply to the CareCommunication we sent "
           "you, with a text.", _answer(c.same_thread())),
    _reply("reply-new", "Svar i en tråd, systemet selv har deltaget i", "Reply to the "
           "CareCommunication we sent you, with a text.", _answer(c.same_thread())),
    _reply("reply-forward", "Svar på en videresendt meddelelse", "Reply to the forwarded "
           "CareCommunication we sent you.", _answer(c.same_thread()), ours=OURS_FORWARDED),
    _reply("reply-attachment", "Svar med flere bilag", "Reply to the CareCommunication we "
           "sent you with a text and five attached files.",
           _answer(c.attachments_with_data(5), c.same_thread(), added=6)),
    _reply("reply-add-attachment", "Svar med to nye bilag", "Reply to the CareCommunication "
           "we sent you with a text and two attached files.",
           _answer(c.attachments_with_data(2, exactly=True), added=3)),
    _reply("reply-changetopic", "Svar med ændret emne", "Reply to the CareCommunication we "
           "sent you and change its topic.", _answer(c.topic_changed(), c.same_thread())),
    _reply("reply-changecategory", "Svar med ændret kategori", "Reply to the "
           "CareCommunication we sent you and change its category.",
           _answer(c.category_changed(), c.same_thread())),
    _reply("tec-06", "Svar bevarer forløbs-id (episodeOfCare)", "Reply to the "
           "CareCommunication we sent you; keep its episode-of-care identifier.",
           _answer(c.episode_kept()), ours=OURS_EPISODE),
    _reply("tec-07", "Svar med alt indhold fra den modtagne meddelelse", "Reply to the "
           "CareCommunication we sent you, keeping all of its content.",
           _answer(c.episode_kept(), c.same_thread()), ours=OURS_EPISODE),
    _reply("forward-message", "Videresendelse af en meddelelse", "Forward the "
           "CareCommunication we sent you to another receiver, with a text.",
           _answer(c.sender_differs(), c.new_thread()), rule=_FORWARD),
    _reply("forward-partialthread", "Videresendelse af en del af tråden (kun teksten)",
           "Forward only the message text of the CareCommunication we sent you.",
           _answer(c.sender_differs()), rule=_FORWARD),
    _reply("forward-attachment", "Videresendelse med flere bilag", "Forward the "
           "CareCommunication we sent you with a text and five attached files.",
           _answer(c.sender_differs(), c.new_thread(), added=6), rule=_FORWARD),
    _reply("forward-add-attachment", "Videresendelse med et nyt bilag", "Forward the "
           "CareCommunication we sent you with a text and one attached file.",
           _answer(c.sender_differs(), c.attachments_with_data(1, exactly=True),
                   c.new_thread(), added=2), rule=_FORWARD),
    _reply("forward-changetopic", "Videresendelse med ændret emne", "Forward the "
           "CareCommunication we sent you and change its topic.",
           _answer(c.sender_differs(), c.topic_changed()), rule=_FORWARD),
    _reply("forward-changecategory", "Videresendelse med ændret kategori", "Forward the "
           "CareCommunication we sent you and change its category.",
           _answer(c.sender_differs(), c.category_changed()), rule=_FORWARD),
)

_LINKED = "Kvitteringen vises knyttet til den oprindelige meddelelse (3.3.1.3, 3.3.2.4)."
_TOLD_INVALID = "Brugeren får besked om, at meddelelsen havde ugyldigt indhold (3.3.2.3)."
_TOLD_TECHNICAL = ("Brugeren får besked om en teknisk fejl ved afsendelsen, og den "
                   "oprindelige meddelelse sendes igen (3.3.3.1, 3.3.3.2).")
_LATEST = "Systemet viser den senest modtagne kvittering (3.3.3.3)."
_FIRST = "Systemet reagerer på den første kvittering; dubletten vises ikke igen (3.4.2)."


def _ack(id: str, title: str, acks: tuple[str, ...], *checklist: str) -> Scenario:
    return Scenario(
        f"acknowledgement-receive-{id}", title, S, kind=CC, thread=ThreadRule.NEW,
        ask="Send a new CareCommunication to the test receiver; it will be acknowledged "
            f"with: {', '.join(acks)}.", acks=acks,
        checklist=(_LINKED, *checklist),
        source=f"{ACK_SCRIPTS}: TestScript acknowledgement-receive-{id}; {ACK_PROTOCOL}")


ACKNOWLEDGEMENT_RECEIVE: tuple[Scenario, ...] = (
    _ack("ok", "Modtag en positiv kvittering (ok)", ("ok",)),
    _ack("fatal-error", "Modtag en negativ kvittering (fatal-error)", ("fatal-error",),
         _TOLD_INVALID),
    _ack("transient-error", "Modtag en kvittering for teknisk fejl (transient-error)",
         ("transient-error",), _TOLD_TECHNICAL),
    _ack("transient-error-ok", "Modtag transient-error efterfulgt af ok",
         ("transient-error", "ok"), _TOLD_TECHNICAL, _LATEST),
    _ack("ok-duplicate", "Modtag den samme positive kvittering to gange", ("ok", "ok"),
         _FIRST),
    _ack("fatal-error-duplicate", "Modtag den samme negative kvittering to gange",
         ("fatal-error", "fatal-error"), _TOLD_INVALID, _FIRST),
    _ack("transient-error-duplicate", "Modtag den samme transient-error to gange",
         ("transient-error", "transient-error"), _TOLD_TECHNICAL, _FIRST),
)

MEDCOM_SCENARIOS = CARECOMMUNICATION_SEND + ACKNOWLEDGEMENT_RECEIVE


def markdown() -> str:
    """The vendor guide's table: MedCom id (the scenario's id), what it asks, what is
    checked, what a person confirms."""
    lines = ["| MedCom id = scenario | purpose | the kit checks | a person confirms |",
             "|---|---|---|---|"]
    for s in MEDCOM_SCENARIOS:
        checked = [ch.text for ch in s.checks] or [
            "the message is valid; no Acknowledgement is acknowledged; the kit answers with "
            + " then ".join(s.acks)]
        lines.append(f"| `{s.id}` | {s.title} | {'; '.join(checked)} | "
                     f"{' '.join(s.checklist)} |")
    return "\n".join(lines) + "\n"


def write_into(path: str) -> None:
    """Replace the table between ``<!-- medcom:start -->`` and ``<!-- medcom:end -->``."""
    from medcom_adapter.doc_tables import write_section

    write_section(path, "medcom", markdown())


if __name__ == "__main__":  # python -m medcom_adapter.certify.medcom_cases --write DOC.md
    import sys

    if sys.argv[1:2] == ["--write"]:
        write_into(sys.argv[2])
    else:
        print(markdown(), end="")
