"""EDIFACT parse throughput for a 1 MB BIN01, against reading the same bytes.

Floor: reading the same bytes once, as a copy into a fresh buffer (``bytearray(data)``):
the least any parser must do is touch every byte once. Ours: ``edifact.interchange.parse``, i.e.
tokenizing (the object between UNO and UNP sliced raw), checking every count, and reading
the letter into the model. Reported as MB/s and as a ratio to the floor.
"""

from __future__ import annotations

import os
import platform
import random

from benchmarks.timing import per_call
from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.edifact.tokenizer import tokenize
from medcom_adapter.model.message import Emessage, Envelope
from tests import samples

SIZE = 1024 * 1024


def main() -> None:
    letter = samples.binary_letter()
    pdf = b"%PDF-1.4\n" + random.Random(1).randbytes(SIZE - 16) + b"\n%%EOF\n"
    obj = letter.objects[0]
    letter = type(letter)(letter.letter, letter.sender, letter.receiver,
                          (type(obj)(obj.object_id, obj.object_code, obj.extension, pdf),),
                          letter.patient)
    data = build(Emessage(Envelope("E1", samples.WHEN), (letter,)), "B0131X")

    t_floor = per_call(lambda: bytearray(data), batch=50)
    t_tokens = per_call(lambda: tokenize(data), batch=50)
    t_parse = per_call(lambda: parse(data), batch=50)

    def mb_s(seconds: float) -> str:
        return f"{len(data) / seconds / 1e6:,.0f} MB/s ({seconds * 1e3:,.2f} ms)"

    print(f"== EDIFACT parse, BIN01 of {len(data):,} bytes  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu)")
    print(f"floor  read the bytes (copy)         {mb_s(t_floor)}")
    print(f"ours   tokenize                      {mb_s(t_tokens)}  ratio "
          f"{t_tokens / t_floor:.1f}x")
    print(f"ours   parse into the model          {mb_s(t_parse)}  ratio "
          f"{t_parse / t_floor:.1f}x")


if __name__ == "__main__":
    main()
