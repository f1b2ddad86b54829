"""The till's side of sync: the journal is the outbox, pushed in seq order to the cloud,
which acknowledges the highest contiguous seq it stored (acked_through)."""
