"""newscorpus: an annotated news corpus and the tool that keeps it correct.

The library never prints and never exits; the CLI (`newscorpus.cli`) does.
"""

import os

# The tool does no linear algebra: numpy's OpenBLAS thread pool would only spin when numpy is imported
# (about 0.1 s of CPU a process). Set before numpy is first imported, unless the user chose otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.2.0"
