"""Outbox and inbox: the core, a journal and a transport put together, crash-safe.

- :mod:`.submit` turns a request into built, validated messages journaled as ``queued``
  (refused before anything is stored when the receiver does not take them).
- :class:`.outbox.Outbox` claims queued messages, checks them again, asks the receiver's
  channel (``medcom_adapter.channels``) to wrap and send them (idempotent per journal id)
  and marks them ``sent``; what is overdue and what may be resent, ``reliable.outbound``
  decides.
- :mod:`.reading` reads each received file once, in a pure step: its channel opens the
  envelope, :mod:`.read_oioxml`, :mod:`.read_edifact` or :mod:`.read_fhir` reads and
  validates the message.
- :class:`.inbox.Inbox` journals what was read as ``reliable.inbound`` decides, queues the
  receipt or acknowledgement it is owed, delivers it to the hook and only then settles the
  file.
- :mod:`.tracking` maps journal entries to ``reliable``'s facts and its decisions back to
  journal statuses: the workers themselves hold no reliable-messaging rule.

Every step is a durable journal write or an idempotent action, in an order that lets a
restarted process finish whatever a killed one began: nothing is lost, nothing is sent as
a new message twice, nothing is delivered twice (hooks get a stable delivery id).
"""
