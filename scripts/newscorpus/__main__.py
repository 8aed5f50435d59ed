"""`python -m newscorpus ...` runs the command line, as the `newscorpus` script does."""

from .cli import main

main()
