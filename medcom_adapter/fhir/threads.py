"""MedCom's thread rules for CareCommunication: new message, reply, forward.

- A new message starts a thread (new Communication.identifier).
- A reply keeps the thread id, goes back to the sender, carries every earlier segment
  (attachments without their data, as MedCom prescribes) and the whole history, plus one
  history event pointing at the message it answers. A specific sender becomes the reply's
  specific recipient.
- A forward starts a new thread to a new receiver with all (or selected) segments, with
  their data, and the history events that added them.
Every message gets a new Bundle id and MessageHeader id.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.carecommunication import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENTS,
    Activity,
    AttachmentSegment,
    Author,
    CareCommunication,
    CarePatient,
    CareTeam,
    Category,
    EpisodeOfCareRef,
    Event,
    Party,
    Predecessor,
    Priority,
    Segment,
    TextSegment,
)

NewId = Callable[[], str]


def _uuid() -> str:
    return str(uuid.uuid4())


@dataclasses.dataclass(frozen=True, slots=True)
class NewAttachment:
    title: str
    content_type: str
    data: bytes

    def __post_init__(self) -> None:
        if self.content_type not in ATTACHMENT_TYPES:
            raise InvalidValue(f"attachment type {self.content_type!r} is not allowed by MedCom "
                               f"({', '.join(sorted(ATTACHMENT_TYPES))})")


def _segments(
    *, text: str, author: Author, party: Party, now: datetime, phone: str,
    attachments: Iterable[NewAttachment], new_id: NewId,
) -> tuple[Segment, ...]:
    first: Segment = TextSegment(f"urn:uuid:{new_id()}", now, author, party, text, phone)
    attachments = tuple(attachments)
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidValue(f"a CareCommunication carries at most {MAX_ATTACHMENTS} attachments "
                           f"while MedCom's conversion service runs, got {len(attachments)}")
    rest = tuple(
        AttachmentSegment(f"urn:uuid:{new_id()}", now, party, a.title, a.content_type, a.data,
                          author=author, phone=phone)
        for a in attachments
    )
    return (first, *rest)


def new_message(
    *, sender: Party, receiver: Party, patient: CarePatient, category: Category, text: str,
    author: Author, phone: str, now: datetime, topic: str | None = None,
    priority: Priority | None = None, episode_of_care: EpisodeOfCareRef | None = None,
    attachments: Iterable[NewAttachment] = (), sender_detail: Author | CareTeam | None = None,
    recipient_detail: Author | CareTeam | None = None, new_id: NewId = _uuid,
) -> CareCommunication:
    message_id = new_id()
    segments = _segments(text=text, author=author, party=sender, now=now, phone=phone,
                         attachments=attachments, new_id=new_id)
    return CareCommunication(
        bundle_id=new_id(), message_id=message_id, timestamp=now, sender=sender,
        receiver=receiver, patient=patient, thread_id=f"urn:uuid:{new_id()}",
        category=category, topic=topic, priority=priority, episode_of_care=episode_of_care,
        sender_detail=sender_detail, recipient_detail=recipient_detail, segments=segments,
        history=(Event(message_id, Activity.NEW, now, sender, tuple(s.id for s in segments)),),
    )


def reply(
    previous: CareCommunication, *, text: str, author: Author, phone: str, now: datetime,
    attachments: Iterable[NewAttachment] = (),
    sender_detail: Author | CareTeam | None = None, new_id: NewId = _uuid,
) -> CareCommunication:
    """Answer ``previous`` (which must be the latest message of its thread)."""
    message_id = new_id()
    me = previous.receiver
    added = _segments(text=text, author=author, party=me, now=now, phone=phone,
                      attachments=attachments, new_id=new_id)
    earlier = tuple(dataclasses.replace(s, data=None) if isinstance(s, AttachmentSegment) else s
                    for s in previous.segments)
    event = Event(message_id, Activity.REPLY, now, me, tuple(s.id for s in added),
                  Predecessor(message_id=previous.message_id))
    return dataclasses.replace(
        previous, bundle_id=new_id(), message_id=message_id, timestamp=now,
        sender=me, receiver=previous.sender, segments=earlier + added,
        history=(*previous.history, event), sender_detail=sender_detail,
        recipient_detail=previous.sender_detail, priority=previous.priority,
    )


def forward(
    previous: CareCommunication, *, to: Party, text: str, author: Author, phone: str,
    now: datetime, segment_ids: Iterable[str] | None = None,
    new_id: NewId = _uuid,
) -> CareCommunication:
    """Forward ``previous`` (all segments, or the ones named) to ``to`` as a new thread."""
    me = previous.receiver
    chosen = set(segment_ids) if segment_ids is not None else {s.id for s in previous.segments}
    unknown = chosen - {s.id for s in previous.segments}
    if unknown:
        raise InvalidValue(f"no such segment in the message: {', '.join(sorted(unknown))}")
    kept = tuple(s for s in previous.segments if s.id in chosen)
    history = tuple(e for e in previous.history if chosen & set(e.segment_ids))
    message_id = new_id()
    added = _segments(text=text, author=author, party=me, now=now, phone=phone,
                      attachments=(), new_id=new_id)
    event = Event(message_id, Activity.FORWARD, now, me, tuple(s.id for s in added),
                  Predecessor(message_id=previous.message_id))
    return dataclasses.replace(
        previous, bundle_id=new_id(), message_id=message_id, timestamp=now, sender=me,
        receiver=to, thread_id=f"urn:uuid:{new_id()}", segments=kept + added,
        history=(*history, event), sender_detail=None, recipient_detail=None,
    )


def resend(
    message: CareCommunication, *, now: datetime, new_id: NewId = _uuid
) -> CareCommunication:
    """The same message sent again: new Bundle id and times of its own history event
    (MedCom's resend rule); the MessageHeader id stays so the receiver sees a duplicate."""
    history = tuple(
        dataclasses.replace(e, occurred=now, recorded=None) if e.message_id == message.message_id
        else e for e in message.history
    )
    return dataclasses.replace(message, bundle_id=new_id(), timestamp=now, history=history)
