"""Transport envelopes around MedCom messages (sans-I/O: bytes in, frozen dataclasses out).

- :mod:`~medcom_adapter.envelopes.vans`: VANSEnvelope 1.0.4, the VANS network's envelope for
  FHIR messages, and its receipts.
- :mod:`~medcom_adapter.envelopes.sbdh`: EHMI ehmiSBDH, the envelope on the EHMI network.
- :mod:`~medcom_adapter.envelopes.fhir_payload`: the table saying which envelope fields each
  MedCom FHIR message type gets, and wrapping/unwrapping a FHIR message.
- :mod:`~medcom_adapter.envelopes.letter_payload` and :mod:`~medcom_adapter.envelopes.registry`:
  the ehmiSBDH fields of an OIOXML Emessage or EDIFACT interchange, and MedCom's EHMI
  registry codes they take their DOCUMENTID from.

OIOXML Emessages and EDIFACT interchanges travel on VANS as they are (each is its own
envelope).
"""
