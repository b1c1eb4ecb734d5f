"""What Rasa's endpoints.yml expands, derived from the two settings an operator sets."""

from __future__ import annotations

from bot.rasa_entry import endpoint_variables, rasa_argv


def test_defaults_one_rasa_in_memory_lock_sqlite_tracker() -> None:
    got = endpoint_variables({"RASA_TRACKER_URL": "sqlite:////srv/var/rasa_tracker.db"})
    assert got["RASA_TRACKER_DIALECT"] == "sqlite"
    assert got["RASA_LOCK_STORE"] == "in_memory"


def test_scaled_postgres_tracker_and_redis_lock_store() -> None:
    got = endpoint_variables(
        {
            "RASA_TRACKER_URL": "postgresql+psycopg2://rasa@db:5432/rasa",
            "RASA_LOCK_STORE_URL": "redis://:s3cret@cache:6380/2",
        }
    )
    assert got == {
        "RASA_TRACKER_DIALECT": "postgresql",
        "RASA_LOCK_STORE": "redis",
        "RASA_LOCK_STORE_HOST": "cache",
        "RASA_LOCK_STORE_PORT": "6380",
        "RASA_LOCK_STORE_DB": "2",
        "RASA_LOCK_STORE_PASSWORD": "s3cret",
    }


def test_a_token_starting_with_a_dash_is_still_one_argument() -> None:
    import argparse

    # Rasa's own option (rasa/cli/arguments/run.py): one argument.
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("-t", "--auth-token", type=str)
    parser.add_argument("--enable-api", action="store_true")
    argv = rasa_argv(["run", "--enable-api"], "-Xy_z9")
    assert parser.parse_args(argv[1:]).auth_token == "-Xy_z9"
    assert rasa_argv(["run"], "") == ["rasa", "run"]
