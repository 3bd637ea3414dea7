"""A request into the messages that carry it (sans-I/O): ``referral`` builds an XREF01 with
its XBIN attachments, ``km`` a correspondence message as XDIS91 (+ XBIN01s) or as a FHIR
CareCommunication."""
