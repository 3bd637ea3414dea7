"""Addressing: who takes what, and where it goes.

``directory`` is the receivers directory (location numbers, SOR ids, the kinds each receiver
accepts); ``dnhf`` routes referrals through the national referral broker DNHF; ``sor`` is
the local copy of the SOR register (location number -> SOR id, name, telephone) that
conversions look parties up in.
"""
