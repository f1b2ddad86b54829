"""The ledger: the hash-chained journal and its projections in one SQLite file."""
