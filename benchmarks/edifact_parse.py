"""EDIFACT parse throughput for a 1 MB BIN01, against reading the same bytes.

Floor: reading the same bytes once, as a copy into a fresh buffer (``bytearray(data)``):
the least any parser must do is touch every byte once. Ours: ``edifact.interchange.parse``, i.e.
tokenizing (the object between UNO and UNP sliced raw), checking every count, and reading
the letter into the model. Reported as MB/s and as a ratio to the floor.

A copy of 1 MB takes tens of microseconds, while reading the 25 or so segments around the
object into the model is Python work of fixed size, so the whole-parse ratio mostly
measures that fixed part. The report therefore also parses the same letter with a 1 KB
object and splits our time into that fixed part and the part that grows with the object.
The growing part is the honest per-byte comparison with the floor. In the tokenizer it is
two copies where the floor makes one: the interchange decoded once as ISO-8859-1 (for
positions) and the object sliced out once (the model holds it as bytes). The whole parse
grows by more than its tokenizer on this machine, though no step in a profile does work in
proportion to the object: the copies push the rest of the parse out of the CPU caches.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import random

from benchmarks.timing import per_call_in_turn
from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.edifact.tokenizer import tokenize
from medcom_adapter.model.message import Emessage, Envelope
from tests import samples

SIZE = 1024 * 1024
SMALL = 1024


def _interchange(size: int) -> bytes:
    letter = samples.binary_letter()
    pdf = b"%PDF-1.4\n" + random.Random(1).randbytes(size - 16) + b"\n%%EOF\n"
    letter = dataclasses.replace(
        letter, objects=(dataclasses.replace(letter.objects[0], data=pdf),))
    return build(Emessage(Envelope("E1", samples.WHEN), (letter,)), "B0131X")


def main() -> None:
    data, small = _interchange(SIZE), _interchange(SMALL)
    timed = per_call_in_turn({
        "floor": lambda: bytearray(data),
        "tokenize": lambda: tokenize(data),
        "parse": lambda: parse(data),
        "tokenize small": lambda: tokenize(small),
        "parse small": lambda: parse(small),
    }, batch=50)
    t_floor, t_tokens, t_parse = timed["floor"], timed["tokenize"], timed["parse"]
    fixed = timed["parse small"]
    growing = max(t_parse - fixed, 0.0)
    growing_tokens = max(t_tokens - timed["tokenize small"], 0.0)

    def mb_s(seconds: float) -> str:
        return f"{len(data) / seconds / 1e6:,.0f} MB/s ({seconds * 1e3:,.2f} ms)"

    print(f"== EDIFACT parse, BIN01 of {len(data):,} bytes  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu)")
    print(f"floor  read the bytes (copy)         {mb_s(t_floor)}")
    print(f"ours   tokenize                      {mb_s(t_tokens)}  ratio "
          f"{t_tokens / t_floor:.1f}x")
    print(f"ours   parse into the model          {mb_s(t_parse)}  ratio "
          f"{t_parse / t_floor:.1f}x")
    print(f"         of which fixed (same letter, {len(small):,} bytes)  {fixed * 1e3:,.2f} ms")
    print(f"         of which growing with the object      {growing * 1e3:,.2f} ms  ratio "
          f"{growing / t_floor:.1f}x the floor")
    print(f"         tokenize's part growing with the object {growing_tokens * 1e3:,.2f} ms  "
          f"ratio {growing_tokens / t_floor:.1f}x the floor (two copies: text and object)")


if __name__ == "__main__":
    main()
