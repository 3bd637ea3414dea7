"""``python -m benchmarks``: run every benchmark and print its report."""

from benchmarks import referral_build_validate

for bench in (referral_build_validate,):
    bench.main()
