"""Persistence: tables, the database engine and the repository (the only place that opens sessions)."""
