"""``python -m benchmarks``: run every benchmark and print its report."""

from benchmarks import edifact_parse, referral_build_validate

for bench in (referral_build_validate, edifact_parse):
    bench.main()
