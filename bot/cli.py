"""``assistant``: run the stack, migrate the database, purge old personal data."""

from __future__ import annotations

import argparse
import sys

from bot.logs import configure_logging
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser(
        "run", help="start Rasa, the action server and the gateway (Ctrl-C stops)"
    )
    run_p.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="gateways, Rasa instances and action servers of each (scaled topology: "
        "needs RASA_LOCK_STORE_URL; see README)",
    )
    sub.add_parser("gateway", help="run the gateway alone")
    db = sub.add_parser("db", help="database migrations")
    db.add_argument(
        "action",
        choices=["upgrade", "create"],
        help="upgrade: apply all migrations; create: create the PostgreSQL databases "
        "DATABASE_URL and RASA_TRACKER_URL name, when missing",
    )
    purge = sub.add_parser("purge", help="delete personal data older than RETENTION_DAYS")
    purge.add_argument("--days", type=int, default=None, help="instead of RETENTION_DAYS")
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging(settings.log_level)
    if args.command == "run":
        from bot.supervisor import run

        return run(settings, replicas=args.replicas)
    if args.command == "gateway":
        from bot.gateway.app import main as gateway_main

        gateway_main()
        return 0
    if args.command == "db" and args.action == "create":
        from bot.db.migrate import create_database

        for url in (settings.sqlalchemy_url, settings.tracker_url):
            made = create_database(url)
            print(f"{'created' if made else 'exists '}: {url.split('@')[-1]}")
        return 0
    if args.command == "db":
        from bot.db.migrate import upgrade

        upgrade()
        print(f"database up to date: {settings.sqlalchemy_url.split('@')[-1]}")
        return 0
    if args.command == "purge":
        from bot.retention import purge_all

        days = args.days if args.days is not None else settings.retention_days
        if days < 1:
            print("--days phải từ 1 trở lên.", file=sys.stderr)
            return 2
        for table, count in purge_all(settings, days).items():
            print(f"{table}: {count}")
        print(f"đã xóa dữ liệu cũ hơn {days} ngày")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
