"""MedCom's Word test protocols, case by case: each numbered section (and its use case,
where it names one) mapped to the scenario that plays it, by MedCom's id.

Ids are ``<standard>-protocol-<direction>-<section>``, the section as MedCom numbers it
(``word_protocol`` reads the numbers from the .docx). A receive case delivers the kit's own
catalogue messages of the same meaning as MedCom's test examples and checks the answers; a
send case asks for the message of the TestScript it corresponds to and runs that
TestScript's checks. What only a person can judge (what the user sees, what the vendor
explains) is the case's checklist, in our own words. Sections nothing can run say why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from medcom_adapter.certify.medcom_cases import ACKNOWLEDGEMENT_RECEIVE, CARECOMMUNICATION_SEND
from medcom_adapter.certify.scenarios import Answer, Delivery, Direction, Scenario

CC_RECEIVE = "CareCommunication_Testprotocol_Receive"  # the .docx, by its file name
CC_SEND = "CareCommunication_Testprotocol_Send"
ACK_SEND = "Acknowledgement_Testprotocol_Send"
ACK_RECEIVE = "Acknowledgement_Testprotocol_Receive"
PROTOCOLS = (CC_RECEIVE, CC_SEND, ACK_SEND, ACK_RECEIVE)

_NEW = "fhir/CareCommunication-5.0-new-every-optional-element.json"
_REPLY = "fhir/CareCommunication-5.0-reply.json"
_FORWARD = "fhir/CareCommunication-5.0-forward.json"
_INVALID = "invalid/CareCommunication-priority-without-referral.json"
_OK, _FATAL = Answer.ACK_OK, Answer.ACK_FATAL


@dataclass(frozen=True, slots=True)
class WordCase:
    protocol: str  # one of PROTOCOLS
    section: str  # MedCom's section number
    use_case: str | None = None  # MedCom's use-case id, where the section names one
    scenario: Scenario | None = None  # the scenario of its own that plays it
    also: tuple[str, ...] = ()  # other scenarios that check (part of) it
    not_run: str = ""  # why no scenario plays it

    @property
    def played_by(self) -> tuple[str, ...]:
        return ((self.scenario.id,) if self.scenario else ()) + self.also


def _source(protocol: str, section: str, use_case: str | None) -> str:
    case = f" (use case {use_case})" if use_case else ""
    return f"MedCom {protocol.replace('_', ' ')}: section {section}{case}"


def _receive(protocol: str, section: str, title: str, deliveries: tuple[Delivery, ...],
             *checklist: str, use_case: str | None = None,
             also: tuple[str, ...] = ()) -> WordCase:
    standard, way = protocol.split("_")[0].lower(), protocol.rsplit("_", 1)[1].lower()
    scenario = Scenario(f"{standard}-protocol-{way}-{section}", title, Direction.RECEIVE,
                        deliveries, source=_source(protocol, section, use_case),
                        checklist=checklist)
    return WordCase(protocol, section, use_case, scenario, also)


_SCRIPTS = {s.id: s for s in CARECOMMUNICATION_SEND}


def _send(section: str, title: str, plays: str, *checklist: str,
          use_case: str | None = None, also: tuple[str, ...] = ()) -> WordCase:
    """A send case: what TestScript ``plays`` asks for and checks, and a checklist."""
    script = _SCRIPTS[f"carecommunication-send-{plays}"]
    scenario = dataclasses.replace(
        script, id=f"carecommunication-protocol-send-{section}", title=title,
        source=_source(CC_SEND, section, use_case) + f"; checked as TestScript {script.id}",
        checklist=checklist)
    return WordCase(CC_SEND, section, use_case, scenario, also)


def _d(fixture: str, answer: Answer = _OK) -> Delivery:
    return Delivery(fixture, answer)


_ALL_SCRIPTS = tuple(s.id for s in CARECOMMUNICATION_SEND)
_ACK_SCRIPTS = tuple(s.id for s in ACKNOWLEDGEMENT_RECEIVE)
_SIGNATURE = "Afsenderens signatur (tid, navn, rolle, telefon) udfyldes af systemet."

WORD_CASES: tuple[WordCase, ...] = (
    # -- CareCommunication, receive --------------------------------------------------------
    _receive(CC_RECEIVE, "3.1.1", "R1: modtag en ny korrespondancemeddelelse", (_d(_NEW),),
             "Brugeren får besked om den nye meddelelse, og den er tydeligt markeret som ny.",
             "Meddelelsen viser patient (id og navn), kategori, emne, tekst med signatur, "
             "afsender, modtager og bilag.",
             "Bilagenes titel, forfatter, kontakt og oprettelsestid vises; bilagene kan "
             "åbnes.", use_case="R1", also=("R-CC-new",)),
    _receive(CC_RECEIVE, "3.1.2", "R2: modtag et svar", (_d(_NEW), _d(_REPLY)),
             "Svaret er tydeligt markeret som svar og vises i samme tråd som meddelelsen.",
             "Både det nye og det tidligere segment vises med tekst og signatur.",
             use_case="R2"),
    _receive(CC_RECEIVE, "3.1.3", "R3: modtag en videresendt meddelelse", (_d(_FORWARD),),
             "Meddelelsen er tydeligt markeret som videresendt.",
             "Det fremgår, hvilken afsender og organisation hvert segment i tråden har.",
             use_case="R3", also=("R-CC-forward",)),
    _receive(CC_RECEIVE, "3.2.1", "Visning af indholdet", (_d(_NEW),),
             "Prioritet, linjeskift i teksten, alle bilag (også link) med deres oplysninger "
             "og forløbs-id vises.",
             "Tidspunkter vises i dansk tid, med og uden tidszone i meddelelsen.",
             "Mere indhold end standarden beskriver ignoreres; to behandlere fra samme "
             "organisation vises ved hvert sit segment.",
             "Organisationsnavne slås op i SOR, når meddelelsen ikke har dem."),
    _receive(CC_RECEIVE, "3.2.2", "FHIR: indlæsning, XML og JSON, validering", (_d(_NEW),),
             "Leverandøren forklarer, hvordan meddelelser indlæses, at både XML og JSON "
             "læses, og at meddelelsen valideres mod MedComs profiler, før den vises."),
    _receive(CC_RECEIVE, "3.2.3", "Patient med erstatnings-CPR",
             (_d("fhir/CareCommunication-5.0-patient-x-ecpr.json"),),
             "Brugerfladen viser patienten korrekt, også når patienten har flere id'er "
             "(CPR og erstatnings-CPR); kittets eksempler har ét id hver.",
             also=("R-CC-x-ecpr", "R-CC-d-ecpr")),
    _receive(CC_RECEIVE, "3.2.4", "Parallelle svar i samme tråd", (_d(_NEW), _d(_REPLY)),
             "To svar på samme meddelelse vises i én tråd, i tidsorden, med tydelig "
             "sammenhæng, og tråden kan fortsættes (kittet sender ét svar; det andet "
             "svar sendes fra systemet selv).",),
    _receive(CC_RECEIVE, "3.2.5", "Modtag og kvittér med en FHIR-kvittering", (_d(_NEW),)),
    _receive(CC_RECEIVE, "3.2.6", "Svaret kommer før meddelelsen, det svarer på",
             (_d(_REPLY), _d(_NEW)),
             "Begge vises i samme tråd, ordnet efter segmenternes tidspunkter, og "
             "brugeren ser, at der er en ulæst meddelelse.", also=("R-CC-out-of-order",)),
    _receive(CC_RECEIVE, "3.2.7", "Dubletter, gyldige og ugyldige",
             (_d(_NEW), _d(_NEW), _d(_INVALID, _FATAL), _d(_INVALID, _FATAL)),
             "Brugeren ser kun én meddelelse, selv om den kom to gange.",
             also=("R-CC-duplicate",)),
    _receive(CC_RECEIVE, "3.2.8", "Ugyldig meddelelse", (_d(_INVALID, _FATAL),),
             "Den ugyldige meddelelse vises ikke for brugeren.", also=("R-CC-invalid",)),
    # -- CareCommunication, send -----------------------------------------------------------
    WordCase(CC_SEND, "3.2", also=_ALL_SCRIPTS),
    _send("3.3.1", "S1: ny meddelelse med kategorien 'Andet' og emne", "new-category-other",
          "Patientens CPR og navn og modtageren vises i meddelelsen.",
          "Prioritet kan kun vælges ved 'Vedr. henvisning'; emne er påkrævet ved 'Andet'.",
          _SIGNATURE, use_case="S1 + S1.A2 + S1.A4"),
    _send("3.3.2", "S1.A1: ny meddelelse vedr. henvisning med prioritet og bilag",
          "new-priority",
          "Kun tilladte filtyper kan vedhæftes (og et link); bilagenes titler vises.",
          _SIGNATURE, use_case="S1.A1 + S1.A5",
          also=tuple(i for i in _ALL_SCRIPTS if "new-attachment" in i)),
    _send("3.3.3", "S1.A3: emne fra en regionalt aftalt liste", "new-topic",
          "Emnet vælges fra listen; en aftalt kategori følger emnet.", use_case="S1.A3"),
    _send("3.3.4", "S2: svar med ændret kategori og emne", "reply-changecategory",
          "Modtager og specifik modtager udfyldes fra den modtagne meddelelse.",
          use_case="S2 + S2.A2", also=("carecommunication-send-reply-changetopic",)),
    _send("3.3.5", "S2.A1: svar med bilag", "reply-attachment", use_case="S2.A1"),
    WordCase(CC_SEND, "3.3.6", "S2.A3", not_run=(
        "svar med en CareCommunication på en modtaget OIOXML- eller EDIFACT-meddelelse: "
        "konverteringen mellem formaterne sker hos VANS-leverandøren, ikke i kittet")),
    _send("3.3.7", "S2.A4: svar på egen seneste meddelelse", "reply-new", use_case="S2.A4"),
    _send("3.3.8", "S3: videresend med ændret kategori og emne", "forward-changecategory",
          use_case="S3 + S3.A2", also=("carecommunication-send-forward-changetopic",)),
    _send("3.3.9", "S3.A1: videresend med bilag", "forward-attachment", use_case="S3.A1"),
    _send("3.3.10", "S3.A3: videresend en del af tråden", "forward-partialthread",
          use_case="S3.A3"),
    _send("3.4.1", "Indhold: CPR, erstatnings-CPR og forløbs-id", "tec-05",
          "Patienter med flere id'er sendes, som protokollen beskriver.",
          also=("carecommunication-send-tec-03", "carecommunication-send-tec-04")),
    _send("3.4.2", "Referencer til tidligere meddelelser (Provenance)", "reply-message",
          also=("carecommunication-send-forward-message",)),
    WordCase(CC_SEND, "3.4.3", not_run=(
        "en meddelelse over størrelsesgrænsen skal afvises i systemet, før den sendes; det "
        "ser en person i brugerfladen, kittet modtager intet")),
    _send("3.4.4", "Sendt i en VANSEnvelope", "new-message"),
    WordCase(CC_SEND, "3.4.5", not_run=(
        "prøven sammen med VANS-leverandøren (konvertering undervejs) sker på VANS, ikke "
        "lokalt")),
    # -- Acknowledgement, send (the system acknowledges what it receives) ------------------
    WordCase(ACK_SEND, "3.2", also=("R-CC-new", "R-CC-invalid", "R-CC-duplicate")),
    _receive(ACK_SEND, "3.3.1", "R.TC2/R.TC3: dan og send positive og negative kvitteringer",
             (_d(_NEW), _d(_INVALID, _FATAL)),
             "Leverandøren forklarer, hvornår systemet sender transient-error (teknisk fejl),"
             " og at en ny indlæsning derefter kvitteres ok eller fatal-error.",
             use_case="R.TC2"),
    _receive(ACK_SEND, "3.4", "Dubletter, tidspunkter og indpakning af kvitteringer",
             (_d(_NEW), _d(_NEW)),
             "En gensendt kvittering har samme indhold, men nyt Bundle.id og nye tidspunkter.",
             "Systemet har et overblik over sendte kvitteringer og hvilke meddelelser de "
             "hører til."),
    # -- Acknowledgement, receive (the system takes the acknowledgements it is sent) --------
    WordCase(ACK_RECEIVE, "3.2", also=_ACK_SCRIPTS),
    WordCase(ACK_RECEIVE, "3.3.1", "S.TC3", also=("acknowledgement-receive-ok",)),
    WordCase(ACK_RECEIVE, "3.3.2", "S.TC3.A1", also=("acknowledgement-receive-fatal-error",)),
    WordCase(ACK_RECEIVE, "3.3.3", "S.TC3.A2", also=(
        "acknowledgement-receive-transient-error", "acknowledgement-receive-transient-error-ok")),
    WordCase(ACK_RECEIVE, "3.3.4", "S.TC4", not_run=(
        "at en forventet kvittering udebliver, ses i systemet efter dets egen frist; kittet "
        "kvitterer altid")),
    WordCase(ACK_RECEIVE, "3.4", also=(
        "acknowledgement-receive-ok", "acknowledgement-receive-ok-duplicate")),
)

WORD_SCENARIOS: tuple[Scenario, ...] = tuple(c.scenario for c in WORD_CASES if c.scenario)
# the TestScript each send case asks for (for a system that plays MedCom's cases by script)
PLAYS = {c.scenario.id: c.scenario.source.rsplit("TestScript ", 1)[1]
         for c in WORD_CASES if c.scenario and c.protocol == CC_SEND}


def markdown() -> str:
    """The vendor guide's table: MedCom protocol and section -> what plays it."""
    lines = ["| MedCom protocol, section (use case) | played by | not run because |",
             "|---|---|---|"]
    for c in WORD_CASES:
        case = f" ({c.use_case})" if c.use_case else ""
        played = ", ".join(f"`{i}`" for i in c.played_by[:4])
        if len(c.played_by) > 4:
            played += f" and {len(c.played_by) - 4} more"
        lines.append(f"| {c.protocol.replace('_', ' ')} {c.section}{case} | {played} | "
                     f"{c.not_run} |")
    return "\n".join(lines) + "\n"


def write_into(path: str) -> None:
    """Replace the table between ``<!-- word:start -->`` and ``<!-- word:end -->``."""
    from medcom_adapter.doc_tables import write_section

    write_section(path, "word", markdown())


if __name__ == "__main__":  # python -m medcom_adapter.certify.word_cases --write DOC.md
    import sys

    if sys.argv[1:2] == ["--write"]:
        write_into(sys.argv[2])
    else:
        print(markdown(), end="")
