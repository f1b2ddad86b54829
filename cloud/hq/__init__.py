"""The chain's HQ service: device enrollment, event ingest with chain checks and fork
detection, on an embedded SQLite file or on PostgreSQL (DESIGN.md section 8)."""
