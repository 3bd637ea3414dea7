"""MedCom EDIFACT: REF01, BIN01, DIS91 and CONTRL, read into and written from the model.

Layers, each usable on its own: ``tokenizer`` (bytes -> segments, raw binary between UNO and
UNP kept as bytes), ``parser`` (segments -> interchange and messages, every count checked),
``serializer`` (the reverse), one mapping module per message (``ref01``, ``bin01``,
``dis91``, ``contrl``) onto the same model the OIOXML side uses, the version table
(``versions``), and ``interchange`` (whole files in and out, like ``oioxml.emessage``).
"""
