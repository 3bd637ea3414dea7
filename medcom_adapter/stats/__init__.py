"""Monitoring a unit's traffic: what flowed, to whom, how fast it was answered, and the §126a
henvisninger of a period, with small numbers suppressed so no child can be picked out.

``figures`` computes from journal records (no I/O), ``report`` renders text, JSON and HTML
with server-side SVG charts; the CLI's ``stats`` and the service's Statistik page read the
journal and call them.
"""
