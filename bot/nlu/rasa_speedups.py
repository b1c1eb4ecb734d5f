"""Four fixes to Rasa 3.6's hot path, installed by ``bot.rasa_entry`` before Rasa starts.

1. Rasa validates every action server response with ``jsonschema.validate``, which first
checks the *schema* against its metaschema — on every call (about 60 % of Rasa's CPU under
load, issue 12). The response schema is a constant: its validator is built once here.
``tests/rasa`` fails when Rasa's method no longer looks the way this replacement assumes.
2. The SQLite tracker store (``make run``) opened a new connection for every tracker read
and write (SQLAlchemy 1.4's default for SQLite files) and committed each with a rollback
journal and a full sync, inside Rasa's event loop: about a quarter of Rasa's CPU under
load (py-spy, issue 12). Its connections are now pooled, and set up like the project
database's (bot.sqlite_pragmas: WAL, ``synchronous=NORMAL``): durable when a process
dies, not when the machine loses power. PostgreSQL (production) is not touched.
3. Loading a tracker turns each stored event back into an object, and finds its class
by walking every subclass of ``Event`` (with ``inspect.isabstract`` on each) — for every
event: a quarter of Rasa's CPU in a 150-message conversation. The class per event name is
looked up once here. ``tests/rasa`` checks Rasa's method still does that walk.
4. Each call to the action server carries the whole tracker, every event since the
session began: in a long conversation most of the action server's CPU went to parsing
it. The actions read slots, the latest message and the last few messages (the handoff
transcript): only the last ``RECENT_EVENTS`` events are sent.
Runs in Rasa's venv (Python 3.10).
"""

from __future__ import annotations

from typing import Any

ORIGINAL_SOURCE_LINE = "validate(result, self.action_response_format_spec())"
ORIGINAL_RESOLVE_LINE = "for cls in rasa.shared.utils.common.all_subclasses(Event):"
ORIGINAL_ENGINE_LINE = (
    "self.engine = sa.create_engine(engine_url, **create_engine_kwargs(engine_url))"
)
ORIGINAL_CALL_FORMAT_LINE = "tracker_state = tracker.current_state(EventVerbosity.ALL)"
RECENT_EVENTS = 100  # far more than the handoff transcript's 6 messages need


def install() -> None:
    _install_cached_validator()
    _install_sqlite_pragmas()
    _install_event_class_cache()
    _install_recent_events_only()


def _install_recent_events_only() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._action_call_format
    if getattr(original, "_recent_only", False):
        return

    def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self, tracker, domain)
        state = result.get("tracker") or {}
        if len(state.get("events") or []) > RECENT_EVENTS:
            state["events"] = state["events"][-RECENT_EVENTS:]
        return result

    _action_call_format._recent_only = True  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format


def _install_event_class_cache() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "_cached", False):
        return
    found: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:  # unknown names are not cached
                found[type_name] = cls
        return cls

    resolve_by_type._cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def _install_sqlite_pragmas() -> None:
    import sqlite3

    import rasa.core.tracker_store as tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import QueuePool

    original = tracker_store.create_engine_kwargs
    if not getattr(original, "_pooled", False):

        def create_engine_kwargs(url: Any) -> dict[str, Any]:
            if str(url).startswith("sqlite") and ":memory:" not in str(url):
                return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}
            kwargs: dict[str, Any] = original(url)
            return kwargs

        create_engine_kwargs._pooled = True  # type: ignore[attr-defined]
        tracker_store.create_engine_kwargs = create_engine_kwargs

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
