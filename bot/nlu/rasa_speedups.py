"""Six fixes to Rasa 3.6's hot path, installed by ``bot.rasa_entry`` before Rasa starts.

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
5. Saving a tracker counted, with a query, the events already stored since the session
began, to know which are new: a ninth of Rasa's CPU under load. A tracker this store
loaded or saved knows how many of its events are stored (a mark on the object, valid
for one message under Rasa's lock); any other tracker is still counted.
6. Every graph run (NLU parse, each action prediction) went through dask: a minimal
schema rebuilt, a task graph built, ordered and scheduled, for a handful of nodes run one
after another anyway (a tenth of Rasa's CPU). ``SequentialGraphRunner`` runs the same
nodes in dependency order, the minimal schema kept per set of targets.
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
ORIGINAL_COUNT_LINE = "number_of_events_since_last_session = self._event_query("
ORIGINAL_RUNNER_LINE = "DaskGraphRunner,"
RECENT_EVENTS = 100  # far more than the handoff transcript's 6 messages need
STORED = "_events_stored"  # the mark: how many of the tracker's events are stored


def install() -> None:
    _install_cached_validator()
    _install_sqlite_pragmas()
    _install_event_class_cache()
    _install_recent_events_only()
    _install_known_stored_events()
    _install_sequential_runner()


def _install_known_stored_events() -> None:
    import itertools

    from rasa.core.tracker_store import SQLTrackerStore

    original_count = SQLTrackerStore._additional_events
    if getattr(original_count, "_known", False):
        return
    original_retrieve = SQLTrackerStore._retrieve
    original_save = SQLTrackerStore.save

    def mark(tracker: Any) -> None:
        # A bounded tracker drops its first events: its length is not what is stored.
        if tracker.events.maxlen is None:
            setattr(tracker, STORED, len(tracker.events))

    async def _retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        tracker = await original_retrieve(self, sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            mark(tracker)  # every event of the latest session, as stored
        return tracker

    def _additional_events(self: Any, session: Any, tracker: Any) -> Any:
        stored = getattr(tracker, STORED, None)
        if stored is None:  # a tracker this store did not load: count as Rasa does
            return original_count(self, session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self: Any, tracker: Any) -> None:
        await original_save(self, tracker)
        mark(tracker)

    _additional_events._known = True  # type: ignore[attr-defined]
    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore._additional_events = _additional_events
    SQLTrackerStore.save = save


def _install_sequential_runner() -> None:
    import rasa.core.processor as processor
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    if getattr(processor.DaskGraphRunner, "_sequential", False):
        return

    class SequentialGraphRunner(DaskGraphRunner):  # type: ignore[misc]
        """Rasa's graph run without dask: each needed node once, its inputs first."""

        _sequential = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._needed: dict[tuple[str, ...], dict[str, Any]] = {}

        def run(
            self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
        ) -> dict[str, Any]:
            run_targets = list(targets or self._graph_schema.target_names)
            nodes = self._needed_nodes(tuple(run_targets))
            results: dict[str, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in nodes:
                    raise GraphRunError(
                        f"Input value '{value}' clashes with a node name. Make sure that "
                        f"none of the input names passed to the `run` method are the same "
                        f"as node names in the graph schema."
                    )
                results[name] = (name, value)

            def output(name: str) -> Any:
                if name not in results:
                    if name not in nodes:  # what dask passes for a name it cannot resolve
                        return name
                    needs = nodes[name].needs.values()
                    results[name] = self._instantiated_nodes[name](*(output(n) for n in needs))
                return results[name]

            try:
                return dict(output(target) for target in run_targets)
            except RuntimeError as e:
                raise GraphRunError("Error running runner.") from e

        def _needed_nodes(self, targets: tuple[str, ...]) -> dict[str, Any]:
            if targets not in self._needed:
                schema = self._graph_schema.minimal_graph_schema(list(targets))
                self._needed[targets] = schema.nodes
            return self._needed[targets]

    processor.DaskGraphRunner = SequentialGraphRunner


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
