"""FHIR message validation throughput, against json.loads and fhir.resources.

Input: MedCom's CareCommunication example k7bfbc0c (a reply to an OIOXML message, with an
Encounter; about 21 KB of FHIR JSON), read from the reference data beside the checkout.

- (a) ``json.loads`` of the bytes: the floor;
- (b) ``fhir.resources.R4B.bundle.Bundle.model_validate_json``: structural R4B validation,
  no profiles, bindings, slices, invariants or reference resolution;
- (c) ``json.loads`` + our ``validate_message`` (version detection, every profile, bindings,
  slices, references inside the Bundle, all invariants).

Targets: (c) at most 1.5x (b), and at least 400 messages per second on one core.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from benchmarks.timing import per_call, rate
from medcom_adapter.fhir.profiles import registry
from medcom_adapter.fhir.validate import validate_message

EXAMPLE = (Path(__file__).resolve().parents[2] / "shared" / "medcom-official" / "fhir" /
           "carecommunication-5.0.2" / "Bundle-k7bfbc0c-553d-11ed-bdc3-0242ac120002.json")


def main() -> None:
    print("== FHIR message validation")
    if not EXAMPLE.exists():
        print(f"   skipped: MedCom reference data not present at {EXAMPLE}")
        return
    from fhir.resources.R4B.bundle import Bundle  # a few hundred ms to import

    data = EXAMPLE.read_bytes()
    registry()  # compile our profiles before timing, as a long-running process would have
    assert not [i for i in validate_message(json.loads(data)) if not i.warning]

    def ours() -> None:
        validate_message(json.loads(data))

    t_loads = per_call(lambda: json.loads(data), batch=2000)
    t_model = per_call(lambda: Bundle.model_validate_json(data), batch=200)
    t_ours = per_call(ours, batch=200)

    print(f"   ({platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cpu, {len(data):,} bytes: {EXAMPLE.name})")
    print(f"   (a) json.loads                     {rate(t_loads)}")
    print(f"   (b) fhir.resources R4B Bundle      {rate(t_model)}  {t_model / t_loads:5.1f}x (a)")
    print(f"   (c) json.loads + validate_message  {rate(t_ours)}  {t_ours / t_loads:5.1f}x (a)"
          f"  {t_ours / t_model:4.2f}x (b)")
    ok_ratio = t_ours <= 1.5 * t_model
    ok_rate = 1 / t_ours >= 400
    print(f"   targets: (c) <= 1.5x (b): {'met' if ok_ratio else 'MISSED'}; "
          f"(c) >= 400/s: {'met' if ok_rate else 'MISSED'}")


if __name__ == "__main__":
    main()
