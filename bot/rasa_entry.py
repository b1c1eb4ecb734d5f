"""Rasa's server, given its HTTP API token through the environment (``RASA_TOKEN``), never
on the command line, where every local user can read it (/proc/<pid>/cmdline).

Run with Rasa's venv: ``.venv-rasa/bin/python -m bot.rasa_entry run --enable-api …``.
With the API enabled and no token, it refuses to start: Rasa would serve its API open.
It also installs ``bot.nlu.rasa_speedups`` (a cached response validator). Stdlib only until
Rasa itself is imported.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

NO_TOKEN = (
    "RASA_TOKEN is not set: Rasa's HTTP API would run without a token. "
    "Set RASA_TOKEN to a long random string (make run does it for you) and start again."
)


def endpoint_variables(environ: dict[str, str]) -> dict[str, str]:
    """What endpoints.yml expands, derived from the settings an operator sets:
    RASA_TRACKER_URL (its dialect) and RASA_LOCK_STORE_URL (empty: in memory, or
    redis://[:password@]host:port/db)."""
    tracker = environ.get("RASA_TRACKER_URL", "")
    lock = urlsplit(environ.get("RASA_LOCK_STORE_URL", ""))
    return {
        "RASA_TRACKER_DIALECT": tracker.split(":", 1)[0].split("+", 1)[0],
        "RASA_LOCK_STORE": "redis" if lock.scheme == "redis" else "in_memory",
        "RASA_LOCK_STORE_HOST": lock.hostname or "",
        "RASA_LOCK_STORE_PORT": str(lock.port or 6379),
        "RASA_LOCK_STORE_DB": lock.path.strip("/") or "0",
        "RASA_LOCK_STORE_PASSWORD": lock.password or "",
    }


def rasa_argv(arguments: list[str], token: str) -> list[str]:
    """Rasa's command line with the token. "--auth-token=…" in one piece: a random token
    may start with "-" (``secrets.token_urlsafe``), which argparse would take for an
    option, and Rasa would refuse to start."""
    return ["rasa", *arguments, *([f"--auth-token={token}"] if token else [])]


def main() -> None:
    os.environ.update(endpoint_variables(dict(os.environ)))
    token = os.environ.get("RASA_TOKEN", "")
    arguments = sys.argv[1:]
    if "--enable-api" in arguments and not token:
        sys.exit(NO_TOKEN)
    # Changing sys.argv inside the process does not change what /proc shows.
    sys.argv = rasa_argv(arguments, token)
    from rasa.__main__ import main as rasa_main

    from bot.nlu.rasa_speedups import install

    install()

    rasa_main()


if __name__ == "__main__":
    main()
