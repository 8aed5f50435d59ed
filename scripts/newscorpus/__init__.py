"""newscorpus: an annotated news corpus and the tool that keeps it correct.

The library never prints and never exits; the CLI (`newscorpus.cli`) does.
"""

__version__ = "0.1.0"
