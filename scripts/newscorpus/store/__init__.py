"""Reading and writing the corpus: the Parquet layout, imports, add, remove, retext, migrate, export."""
