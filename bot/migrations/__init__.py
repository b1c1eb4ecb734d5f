"""Alembic migrations and the registry of every table (kept apart from bot.db, which every
package imports, so that bot.db imports none of them)."""
