"""How every SQLite connection of the project is set up: the project database
(bot.db.session) and Rasa's tracker store (bot.nlu.rasa_speedups). Stdlib only: Rasa's
venv imports it too.

- WAL: readers (the gateway, the action server, Rasa) do not wait for a writer.
- synchronous=NORMAL: with WAL, a commit survives a killed process (kill -9, a crash);
  only a power loss or an OS crash may lose the last commits. A full sync on every commit
  cost about a sixth of Rasa's and the gateway's CPU under load (issue 12). Production
  runs PostgreSQL, which keeps its own durability settings.
- busy_timeout: a writer waits for another one instead of failing at once.
"""

from __future__ import annotations

import sqlite3


def sqlite_pragmas(conn: sqlite3.Connection) -> None:
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
