"""Benchmarks: each bench_*.py prints comparable figures. `make bench` runs them all."""
