"""Transports: how message files leave and reach this system.

Every transport has the same small interface (:class:`~.interface.Transport`): ``send`` a
:class:`~.interface.Parcel`, ``receive`` what has arrived, and ``settle`` a received file once
the journal has committed it. ``vans_mailbox`` is the VANS provider client's folders,
``memory`` an in-process stand-in for tests. Who accepts what, and the DNHF routing of
referrals, is :mod:`medcom_adapter.addressing`.
"""
