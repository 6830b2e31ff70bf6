"""Benchmarks run by hand or through `make bench-*`; importable so tests can reuse their generators."""
