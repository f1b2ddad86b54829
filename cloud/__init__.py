"""The chain's HQ service (ingest, feeds, coupon arbitration) and the wallet sandbox.
Never imports the TUI."""
