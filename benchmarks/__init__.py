"""Benchmarks and the fault suite. Every figure is a ratio measured in one run."""
