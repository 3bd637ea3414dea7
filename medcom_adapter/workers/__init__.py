"""Outbox and inbox: the core, a journal and a transport put together, crash-safe.

- :mod:`.submit` turns a request into built, validated messages journaled as ``queued``
  (refused before anything is stored when the receiver does not take them).
- :class:`.outbox.Outbox` claims queued messages, checks them again, hands them to the
  transport (idempotent per journal id) and marks them ``sent``; what is overdue and what
  may be resent, ``reliable.outbound`` decides.
- :class:`.inbox.Inbox` reads what arrived (OIOXML here, FHIR in VANSEnvelopes in
  :mod:`.inbox_fhir`), journals it as ``reliable.inbound`` decides, queues the receipt or
  acknowledgement it is owed, delivers it to the hook and only then settles the file.
- :mod:`.tracking` maps journal entries to ``reliable``'s facts and its decisions back to
  journal statuses: the workers themselves hold no reliable-messaging rule.

Every step is a durable journal write or an idempotent action, in an order that lets a
restarted process finish whatever a killed one began: nothing is lost, nothing is sent as
a new message twice, nothing is delivered twice (hooks get a stable delivery id).
"""
