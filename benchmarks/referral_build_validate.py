"""Referral build and validate throughput, against raw lxml parse + schema validation.

Floor: ``lxml.etree.fromstring`` + ``XMLSchema.validate`` of the very bytes we produce (the
referral and its XBIN01 with a 200 KB PDF), with the same compiled schemas. Our validate path
(safe loading, version detection, schema validation, reading into the model, base64 decoding)
should stay within 2x of that floor. Building and validating a referral without attachment
should reach 2,000 per second on one core.

The floor never turns the attachment into bytes, which reading into the model must do. A
second floor, the floor plus the least that costs (the element's text as ASCII bytes, line
breaks removed, strict SIMD base64 decoding), is printed beside it so the part of our figure
that is intrinsic to the attachment is visible.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import random

import pybase64
from lxml import etree

from benchmarks.timing import per_call, per_call_in_turn, rate
from medcom_adapter.compose.referral import Attachment, build_referral
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import schemas
from medcom_adapter.oioxml.emessage import build, check
from tests import samples

PDF_SIZE = 200 * 1024


def main() -> None:
    pdf = b"%PDF-1.4\n" + random.Random(1).randbytes(PDF_SIZE - 16) + b"\n%%EOF\n"
    # the full sample without its ready-made references: the attachment adds its own
    plain = dataclasses.replace(samples.full_referral(), references=())
    package = build_referral(plain, (Attachment("Henvisningsskema", pdf),), ids=IdSource())
    files = [(f.data, f.version.schema_folder) for f in package.files]
    compiled = [(data, schemas.schema(folder)) for data, folder in files]

    def floor() -> None:
        for data, schema in compiled:
            assert schema.validate(etree.fromstring(data).getroottree())

    def floor_and_base64() -> None:
        for data, schema in compiled:
            tree = etree.fromstring(data).getroottree()
            assert schema.validate(tree)
            for element in tree.iter("{*}Object_Base64Encoded"):
                # one expression, as xbin.decode_base64 does: holding a 270 KB intermediate
                # in a variable costs ~200 page faults per call here, more than the decoding
                text = (element.text or "").encode("ascii").replace(b"\n", b"")
                pybase64.b64decode(text, validate=True)
            del tree  # freed before the next parse (fewer page faults here; ours frees it too)

    def ours_validate() -> None:
        for data, _ in files:
            assert check(data).valid

    def ours_build_with_pdf() -> None:
        build_referral(plain, (Attachment("Henvisningsskema", pdf),), ids=IdSource())

    bare = Emessage(Envelope("E1", samples.WHEN), (samples.minimal_referral(),))
    full = Emessage(Envelope("E1", samples.WHEN), (plain,))

    timed = per_call_in_turn(
        {"floor": floor, "floor+base64": floor_and_base64, "ours": ours_validate}, batch=10
    )
    t_floor, t_floor_base64, t_validate = timed["floor"], timed["floor+base64"], timed["ours"]
    t_build_pdf = per_call(ours_build_with_pdf, batch=20)
    t_bare = per_call(lambda: build(bare, "XH0131R"), batch=500)
    t_full = per_call(lambda: build(full, "XH0131R"), batch=300)

    size = sum(len(d) for d, _ in files)
    print(f"== referral build/validate  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu, {size:,} bytes with PDF)")
    print(f"floor  lxml parse+validate          {rate(t_floor)}")
    ratio = t_validate / t_floor
    print(f"floor  + attachment base64 to bytes {rate(t_floor_base64)}  "
          f"ratio {t_floor_base64 / t_floor:.2f}x (intrinsic to reading the attachment)")
    print(f"ours   validate (check)             {rate(t_validate)}  ratio {ratio:.2f}x "
          f"(target <= 2x: {'met' if ratio <= 2 else 'NOT met'}; "
          f"{t_validate / t_floor_base64:.2f}x the second floor)")
    print(f"ours   build+validate with PDF      {rate(t_build_pdf)}  "
          f"ratio {t_build_pdf / t_floor:.2f}x")
    per_second = 1 / t_bare
    print(f"ours   build+validate, no attachment {rate(t_bare)}  "
          f"(target >= 2,000/s: {'met' if per_second >= 2000 else 'NOT met'})")
    print(f"ours   build+validate, every field   {rate(t_full)}")


if __name__ == "__main__":
    main()
