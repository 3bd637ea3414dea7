"""MedCom's reliable-messaging rules, and nothing else: given what was sent, seen and
received, say what to do next. No I/O, no clock, no journal: the caller passes plain facts
(``now``, the records it has) and gets typed decisions back, which the edge (outbox/inbox
workers) carries out and maps to the journal's statuses.

Modules and API (stable)::

    rules       Protocol, MessageKey, Answer, AnswerKind, Rules, Policy, DEFAULT_RULES,
                DEFAULT_KIND_RULES (timing per channel, and per message kind where it differs)
                Policy().with_rules(Protocol.FHIR, answer_timeout=timedelta(minutes=45))
                Policy().with_rules(Protocol.FHIR, max_resends=2, resend_interval=...)
                Policy().of(Protocol.OIOXML, "XREF01") -> Rules
    inbound     on_message(key, earlier=(), *, problem=None, answer_requested=True)
                    -> Deliver | Duplicate | Reject
                Earlier(key, answer=None, answer_ref=None), AnswerMode
    outbound    start(protocol, envelope_id, message_ids, *, now, expects_answer=True,
                      kind=None) -> Outbound
                sent(out, *, at) -> Outbound
                matches(out, answer) -> bool
                on_answer(out, answer) -> (Outbound, Acknowledged | Rejected | Ignore | Wait)
                next_step(out, *, now, policy=None)
                    -> Send | Wait | Resend | TimedOut | GiveUp | Done
                timed_out(out) -> Outbound; gave_up(out) -> Outbound
                resend(out, *, new_envelope_id, now, deliberate=False, policy=None) -> Outbound
                    (raises ResendRefused when MedCom's rules forbid it)
    correlate   emessage_keys(Emessage), emessage_answers(Emessage), receipt_answer(Receipt, id),
                fhir_key(CareCommunication), ack_key(Acknowledgement), ack_answer(Acknowledgement),
                vans_key(VansEnvelope), vans_answer(VansEnvelope), sbdh_key(Sbdh)
    rebuild     fhir_bytes(data, *, now, new_id) -> bytes           (new Bundle.id + times)
                fhir_message(CareCommunication, *, now, new_id)
                oioxml_bytes(data, *, new_envelope_id, now) -> bytes  (new envelope id)
                vans_envelope(VansEnvelope, *, new_envelope_id, now) -> VansEnvelope
    receipting  for_message(...), for_refusal(...): the receipt a received letter is owed,
                whatever its syntax (each syntax's ``receipting`` writes it)

The rules in short: a message is known by (envelope id, message id). Received again with the
same envelope: resend the original answer; in a new envelope: a duplicate, answered as
before and never delivered twice; a used envelope id with a new message: refused. FHIR
messages without an acknowledgement after 120 minutes (MedCom's conversion rules, 4.5.1) are
resent, at most 3 times, 120 minutes apart, each
with a new Bundle.id and Provenance times; OIOXML and VANSEnvelope resends are deliberate
actions with a new envelope id. A send whose outcome is unknown is retried with the same
bytes (a duplicate at worst), never with new ids.
"""
