"""Danish words for codes shown on the pages."""

from __future__ import annotations

STATUS = {
    "draft": "Kladde",
    "queued": "I kø til afsendelse",
    "sent": "Sendt",
    "acknowledged": "Kvitteret af modtageren",
    "rejected": "Afvist af modtageren",
    "timed_out": "Ingen kvittering inden fristen",
    "resent": "Sendt igen",
    "failed": "Kunne ikke sendes",
    "received": "Modtaget",
    "delivered": "Leveret til fagsystemet",
    "duplicate": "Dublet (allerede modtaget)",
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

KIND = {
    "XREF01": "Henvisning",
    "XDIS91": "Korrespondance (XDIS91)",
    "XBIN01": "Bilag (XBIN01)",
    "XBIN02": "Henvisningsbilag (XBIN02)",
    "CareCommunication": "Korrespondance (FHIR)",
    "XCTL01": "VANS-kvittering (negativ)",
    "XCTL02": "Negativ kvittering",
    "XCTL03": "Positiv kvittering",
    "Acknowledgement": "Kvittering (FHIR)",
}
