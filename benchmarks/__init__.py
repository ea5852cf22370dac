"""Reproducible performance measurements of replayport (see `benchmarks/README.md`)."""
