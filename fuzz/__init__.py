"""Mutation fuzzing of every parser the outside world reaches (see ``benchmarks/fuzz.py``)."""
