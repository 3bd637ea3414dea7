"""Danish words for codes shown on the pages."""

from __future__ import annotations

from medcom_adapter import catalogue

# Each step of a message's history (the headline a person reads is in .plain). A received
# message's "delivered" means the inbox has finished with it, not that a case system has it.
STATUS = {
    "draft": "Kladde",
    "queued": "I kø til afsendelse",
    "sent": "Sendt, afventer svar",
    "acknowledged": "Modtaget af modtagerens system",
    "rejected": "Afvist af modtagerens system",
    "timed_out": "Ingen kvittering inden fristen",
    "resent": "Sendt igen",
    "failed": "Kunne ikke sendes",
    "received": "Modtaget",
    "delivered": "Modtaget og behandlet",
    "duplicate": "Modtaget igen (dublet)",
    "refused": "Afvist ved modtagelsen",
}

PRIORITY = {
    "elektiv": "Elektiv (planlagt)",
    "akut": "Akut",
    "saerlige_forhold": "Særlige forhold",
    "rutine": "Rutine",
    "høj_prioritet": "Høj prioritet",
}

RELATION = {"mor": "Mor", "far": "Far", "uspec_paaroerende": "Anden pårørende", "": ""}

# What a message is, in the words of the people who use them (the MedCom kind and
# version are under "Tekniske oplysninger" on the status page).
KIND = {kind.value: t.danish for kind, t in catalogue.TYPES.items()}

# MedCom's CareCommunication categories, with the Danish names MedCom gives them, in the
# order the form lists them ("Andet" last).
CATEGORY = {
    "alcohol-and-drug-treatment": "Rusmiddelbehandling",
    "acute-ambulant": "Akut ambulant",
    "outpatient": "Ambulant",
    "decease": "Dødsfald",
    "carecoordination": "Forløbskoordinering",
    "assistive-devices": "Hjælpemidler",
    "medicine": "Medicin",
    "psychiatry-social-disability": "Psykiatri, social, handicap",
    "healthcare": "Sundhedspleje",
    "nursing": "Sygepleje",
    "telemedicine": "Telemedicin",
    "training": "Træning",
    "examination-results": "Undersøgelsessvar",
    "extended-care-responsibility": "Udvidet behandlingsansvar",
    "discharge": "Udskrivelse",
    "regarding-referral": "Vedr. henvisning",
    "home-care-assessment": "Visitation",
    "other": "Andet",
}

# Acknowledgement codes, as the status page says them.
ACK_OUTCOME = {
    "ok": "Modtaget og læst af modtagerens system",
    "transient-error": "Midlertidig fejl hos modtageren (meddelelsen behandles, når fejlen er "
                       "rettet)",
    "fatal-error": "Afvist af modtagerens system",
}

# MedCom's acknowledgement error codes, in plain Danish.
ACK_ERROR = {
    "MSG_Receiver_Identifier_UNKNOWN": "Modtageren kendes ikke under det angivne nummer.",
    "MSG_Receiver_Identifier_MISSING": "Meddelelsen mangler modtagerens nummer.",
    "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE": "Modtageren kan ikke modtage denne type "
                                               "meddelelse.",
    "MSG_VALUESET_VALUE_UNKNOWN": "En værdi i meddelelsen er ikke blandt de tilladte.",
    "MSG_CodeSystem_VALUE_UNKNOWN": "En kode i meddelelsen findes ikke i kodelisten.",
    "MSG_Element_To_Long": "Et felt i meddelelsen er for langt.",
    "MSG_Datatype_Wrong": "Et felt i meddelelsen har en forkert type værdi.",
    "MSG_Mailbox_Out_Of_Operation": "Modtagerens postkasse er midlertidigt ude af drift.",
    "MSG_Damaged_durin_transport": "Meddelelsen blev beskadiget under forsendelsen.",
}
ACK_ERROR_OTHER = "Meddelelsen overholder ikke MedComs regler."

# Why a message or a received file is in quarantine, by its code; what to do is the same for
# all: tell the operator the journal number (or the time), nothing is lost meanwhile.
QUARANTINE = {
    "local.journal-corrupt": "Meddelelsen er beskadiget eller ændret i journalen: dens "
                             "indhold passer ikke med kontrolsummen, så den kan ikke åbnes.",
    "local.journal-key": "Meddelelsen er krypteret med en nøgle, som systemet ikke har adgang "
                         "til lige nu.",
    "transport.unreadable": "Den modtagne fil kunne ikke læses fra postkassen.",
}
QUARANTINE_MESSAGE_OTHER = "Meddelelsen kan ikke åbnes."
QUARANTINE_FILE_OTHER = "Den modtagne fil kunne ikke behandles på grund af en fejl i systemet, " \
                        "ikke i meddelelsen."
