"""Benchmarks: figures for the notes, never assertions in the test suite."""
