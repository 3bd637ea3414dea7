"""Transport envelopes around MedCom messages (sans-I/O: bytes in, frozen dataclasses out).

- :mod:`~medcom_adapter.envelopes.vans`: VANSEnvelope 1.0.4, the VANS network's envelope for
  FHIR messages, and its receipts.
- :mod:`~medcom_adapter.envelopes.sbdh`: EHMI ehmiSBDH, the envelope on the EHMI network.
- :mod:`~medcom_adapter.envelopes.fhir_payload`: the table saying which envelope fields each
  MedCom FHIR message type gets, and wrapping/unwrapping a FHIR message.

OIOXML Emessages travel on VANS as they are (the Emessage is its own envelope).
"""
