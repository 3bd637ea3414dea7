"""Benchmarks: each reports its figures as ratios to a floor measured in the same run."""
