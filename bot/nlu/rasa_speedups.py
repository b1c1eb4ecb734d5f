"""Two fixes to Rasa 3.6's hot path, installed by ``bot.rasa_entry`` before Rasa starts.

1. Rasa validates every action server response with ``jsonschema.validate``, which first
checks the *schema* against its metaschema — on every call (about 60 % of Rasa's CPU under
load, issue 12). The response schema is a constant: its validator is built once here.
``tests/rasa`` fails when Rasa's method no longer looks the way this replacement assumes.
2. The SQLite tracker store (``make run``) commits every saved tracker with a rollback
journal and a full sync, inside Rasa's event loop: about 17 % of Rasa's CPU under load
(a py-spy profile, issue 12). SQLite connections get the project database's settings
instead (bot.sqlite_pragmas): WAL and ``synchronous=NORMAL``, durable when a process dies,
not when the machine loses power. PostgreSQL (production) is not touched.
Runs in Rasa's venv (Python 3.10).
"""

from __future__ import annotations

from typing import Any

ORIGINAL_SOURCE_LINE = "validate(result, self.action_response_format_spec())"


def install() -> None:
    _install_cached_validator()
    _install_sqlite_pragmas()


def _install_sqlite_pragmas() -> None:
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot.sqlite_pragmas import sqlite_pragmas

    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            sqlite_pragmas(dbapi_conn)

    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)


def _install_cached_validator() -> None:
    """Replace ``RemoteAction._validate_action_result`` with a cached-validator version."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_cached_validator", False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator = jsonschema.validators.validator_for(schema)(schema)
    jsonschema.validators.validator_for(schema).check_schema(schema)  # once, not per call

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except jsonschema.ValidationError as e:  # the message Rasa's own version gives
            e.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                "For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    _validate_action_result._cached_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result
