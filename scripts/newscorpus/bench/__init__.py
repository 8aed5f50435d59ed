"""Benchmarks: synthetic corpora and the side-by-side figures of `newscorpus bench`."""
