"""Addressing: who takes what, and where it goes.

``sor`` is the local copy of the SOR register (location number -> SOR id, name, telephone)
that conversions look parties up in.
"""
