"""``python -m benchmarks``: run every benchmark and print its report."""

from benchmarks import fhir_validate, referral_build_validate

for bench in (
    referral_build_validate,
    fhir_validate,
):
    bench.main()
