"""Channels: how a message reaches a receiver and how a received file is opened.

A channel is a transport and the envelope a message needs on it (:mod:`.interface`): VANS
carries OIOXML Emessages and EDIFACT interchanges as they are and FHIR messages in a
VANSEnvelope (:mod:`.vans`); EHMI carries FHIR, and the OIOXML and EDIFACT versions
MedCom's EHMI registry lists, in an ehmiSBDH. A receiver in the directory
names the channels it is reached on (``channels``, VANS by default: what every receiver
accepts today travels on it); :class:`Channels` sends a message on the first of them that
carries an envelope its catalogue row travels in. Where EHMI's endpoint register is
configured (``lookup``), the channel it names for the receiver, kind and version comes
first. Answers go to whoever sent to us, who need not be in the directory: an answer
leaves on the channel its message arrived on (``NewMessage.channel``, which the inbox
sets), else on the first of the node's channels that carries it. ``node.wire`` builds a
node's channels once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from medcom_adapter import catalogue
from medcom_adapter.addressing.directory import Directory
from medcom_adapter.channels.interface import Carried, Channel, Opened
from medcom_adapter.channels.vans import VansChannel
from medcom_adapter.errors import InvalidConfiguration, UnknownMessage, UnknownReceiver
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.transport.interface import Transport

__all__ = ["Carried", "Channel", "Channels", "Opened", "VansChannel"]


class Channels:
    """A node's channels, in the order answers and unlisted receivers take them."""

    def __init__(self, channels: Iterable[Channel], directory: Directory | None = None, *,
                 lookup: Callable[[str, str, str], str | None] | None = None) -> None:
        self.channels = tuple(channels)
        self.lookup = lookup  # EER: the channel a location number takes a kind/version on
        self._by_name = {c.name: c for c in self.channels}
        if len(self._by_name) != len(self.channels):
            raise InvalidConfiguration("two channels share a name")
        self.directory = directory
        for receiver in directory.receivers if directory is not None else ():
            if unknown := [n for n in receiver.channels if n not in self._by_name]:
                raise InvalidConfiguration(
                    f"receiver SOR {receiver.sor} names channel {', '.join(unknown)}; this "
                    f"node has {', '.join(self._by_name)}")

    @classmethod
    def vans(cls, transport: Transport, directory: Directory | None = None) -> Channels:
        """VANS alone, over ``transport``."""
        return cls([VansChannel(transport)], directory)

    def named(self, name: str) -> Channel:
        return self._by_name[name]

    def for_message(self, message: NewMessage) -> Channel:
        """The channel ``message`` leaves on: the one it is bound to (an answer: the channel
        its message arrived on), else the one EER names, else the receiver's first in the
        directory that carries it (the node's first for a receiver the directory does not
        list); InvalidConfiguration when none does."""
        envelopes = catalogue.envelopes(message.kind, message.version)
        ean = message.receiver_ean or ""
        for name in (message.channel, self._registered(ean, message.kind, message.version)):
            bound = self._by_name.get(name) if name is not None else None
            if bound is not None and bound.envelopes & envelopes:
                return bound
        for channel in self._preferred(ean):
            if channel.envelopes & envelopes:
                return channel
        raise InvalidConfiguration(f"no channel to {message.receiver_ean} carries {message.kind} "
                             f"{message.version}")

    def _registered(self, ean: str, kind: str, version: str) -> str | None:
        return self.lookup(ean, kind, version) if self.lookup is not None and ean else None

    def _preferred(self, ean: str) -> Sequence[Channel]:
        if self.directory is None:
            return self.channels
        try:
            receiver = self.directory.by_ean(ean)
        except UnknownReceiver:
            return self.channels
        return [self._by_name[n] for n in receiver.channels]

    def transports(self) -> tuple[Transport, ...]:
        """Where files arrive: each transport once, in the channels' order."""
        return tuple({id(c.transport): c.transport for c in self.channels}.values())

    def open(self, data: bytes, *, clock: Callable[[], datetime],
             transport: Transport | None = None) -> tuple[Channel, Opened]:
        """What a file that arrived on ``transport`` (any, when None) is, as the first of
        its channels that knows its envelope says, and that channel."""
        for channel in self.channels:
            if transport is None or channel.transport is transport:
                opened = channel.open(data, clock=clock)
                if opened is not None:
                    return channel, opened
        raise UnknownMessage("no channel of this node opens the file")
