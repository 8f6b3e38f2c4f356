"""Benchmarks run by `make bench`; each module returns a Markdown section of docs/benchmarks.md."""
