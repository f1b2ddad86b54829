"""The demo store: a catalog to try the till with before importing a real one."""
