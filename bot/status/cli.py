"""``status``: the ward office's application registry.

status import FILE      load a CSV or .xlsx export (upsert by code; bad rows reported)
status show CODE        what a resident would see for this code
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="status", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="load a one-stop office export (.csv or .xlsx)")
    imp.add_argument("file", type=Path)
    show = sub.add_parser("show", help="show what a resident would see for a code")
    show.add_argument("code")
    args = parser.parse_args(argv)
    configure_logging("WARNING")

    if args.command == "import":
        from bot.db import session_scope
        from bot.status.importer import ImportFileError, import_file

        if not args.file.exists():
            print(f"không thấy tệp {args.file}", file=sys.stderr)
            return 1
        try:
            with session_scope() as session:
                report = import_file(session, args.file)
        except ImportFileError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{args.file}: {report.summary()}")
        return 0
    if args.command == "show":
        from bot.settings import get_settings
        from bot.status.codes import FORMAT_HELP, find_code
        from bot.status.explain import status_message
        from bot.status.service import provider_from

        code = find_code(args.code)
        if code is None:
            print(FORMAT_HELP)
            return 1
        app = provider_from(get_settings()).lookup(code)
        print(status_message(app) if app else "không có hồ sơ với mã này")
        return 0 if app else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
