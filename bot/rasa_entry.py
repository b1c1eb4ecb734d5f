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

NO_TOKEN = (
    "RASA_TOKEN is not set: Rasa's HTTP API would run without a token. "
    "Set RASA_TOKEN to a long random string (make run does it for you) and start again."
)


def main() -> None:
    token = os.environ.get("RASA_TOKEN", "")
    arguments = sys.argv[1:]
    if "--enable-api" in arguments and not token:
        sys.exit(NO_TOKEN)
    # Changing sys.argv inside the process does not change what /proc shows.
    sys.argv = ["rasa", *arguments, *(["--auth-token", token] if token else [])]
    from rasa.__main__ import main as rasa_main

    from bot.nlu.rasa_speedups import install

    install()

    rasa_main()


if __name__ == "__main__":
    main()
