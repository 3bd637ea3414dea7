"""Danish words for codes shown on the pages."""

from __future__ import annotations

from medcom_adapter.model.carecommunication import Category

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
    "CareCommunication": "Korrespondance (FHIR)",
    "XCTL01": "VANS-kvittering (negativ)",
    "XCTL02": "Negativ kvittering",
    "XCTL03": "Positiv kvittering",
    "Acknowledgement": "Kvittering (FHIR)",
}

CATEGORY = {
    Category.ALCOHOL_AND_DRUG_TREATMENT.value: "Alkohol- og stofbehandling",
    Category.ASSISTIVE_DEVICES.value: "Hjælpemidler",
    Category.CARE_COORDINATION.value: "Koordinering af forløb",
    Category.DECEASE.value: "Dødsfald",
    Category.DISCHARGE.value: "Udskrivning",
    Category.EXAMINATION_RESULTS.value: "Undersøgelsesresultater",
    Category.HEALTHCARE.value: "Sundhedsfaglig pleje",
    Category.HOME_CARE_ASSESSMENT.value: "Vurdering af hjemmepleje",
    Category.MEDICINE.value: "Medicin",
    Category.NURSING.value: "Sygepleje",
    Category.OUTPATIENT.value: "Ambulant forløb",
    Category.PSYCHIATRY_SOCIAL_DISABILITY.value: "Psykiatri og socialt handicap",
    Category.REGARDING_REFERRAL.value: "Vedrørende henvisning",
    Category.TELEMEDICINE.value: "Telemedicin",
    Category.TRAINING.value: "Træning",
    Category.OTHER.value: "Andet",
    Category.ACUTE_AMBULANT.value: "Akut ambulant",
    Category.EXTENDED_CARE_RESPONSIBILITY.value: "Udvidet behandlingsansvar",
}
