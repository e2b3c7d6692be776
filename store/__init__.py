"""Persistence: one SQLite file through aiosqlite. Imports nothing else of ours."""
