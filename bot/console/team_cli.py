"""``team``: the ward's tổ công nghệ số cộng đồng — teams, members, console passwords.

team add WARD --name NAME --hours HOURS [--telegram-chat CHAT_ID]
team set WARD [--name NAME] [--hours HOURS] [--telegram-chat CHAT_ID]
team add-member WARD --name NAME [--username LOGIN] [--role member|editor|admin]
                [--telegram @user|ID]
team set-password LOGIN          (asks twice; or --password-stdin)
team deactivate MEMBER      (login, Telegram id or @username, or #id)
team list

HOURS: "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30" (Vietnam time).
CHAT_ID: add the bot to the team's Telegram group and send /id there.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import func, select

from bot.console.security import end_member_sessions, hash_password, password_problem
from bot.handoff.service import ROLES
from bot.logs import configure_logging


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            raise ValueError("Hai lần nhập mật khẩu không khớp.")
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="team", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add a ward's team")
    add.add_argument("ward", help="ward code, e.g. tay-ho (used in ?phuong= links)")
    add.add_argument(
        "--name", required=True, help='shown to residents, e.g. "Tổ CNSCĐ phường Tây Hồ"'
    )
    add.add_argument("--hours", required=True)
    add.add_argument("--telegram-chat", default=None)
    change = sub.add_parser("set", help="change a team")
    change.add_argument("ward")
    change.add_argument("--name")
    change.add_argument("--hours")
    change.add_argument("--telegram-chat", default=None, help='"" removes the group')
    member = sub.add_parser("add-member", help="add a member (console login and/or Telegram)")
    member.add_argument("ward")
    member.add_argument("--name", required=True, help='shown to residents, e.g. "chị Lan"')
    member.add_argument("--username", help="console login; a password is asked for")
    member.add_argument("--role", default="member", choices=list(ROLES))
    member.add_argument("--telegram", help="@username or numeric Telegram user id")
    member.add_argument("--password-stdin", action="store_true")
    password = sub.add_parser("set-password", help="set a console password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    off = sub.add_parser(
        "deactivate", help="a member who left: no login, no claims, their tickets back in queue"
    )
    off.add_argument("member", help="console login, Telegram id or @username, or #id")
    sub.add_parser("list", help="teams, members and open tickets")
    args = parser.parse_args(argv)
    configure_logging("WARNING")

    from bot.db import session_scope
    from bot.handoff import service
    from bot.handoff.models import ACTIVE, Member, Team, Ticket

    try:
        if args.command == "add":
            with session_scope() as session:
                team = service.add_team(
                    session, args.ward, args.name, args.hours, args.telegram_chat
                )
                print(f"đã thêm tổ {team.name} (phường {team.ward})")
        elif args.command == "set":
            with session_scope() as session:
                team = service.update_team(
                    session,
                    args.ward,
                    name=args.name,
                    hours=args.hours,
                    telegram_chat_id=args.telegram_chat,
                )
                print(f"đã cập nhật tổ {team.name}")
        elif args.command == "add-member":
            hashed = hash_password(_password(args)) if args.username else None
            with session_scope() as session:
                added = service.add_member(
                    session,
                    args.ward,
                    args.name,
                    username=args.username,
                    password_hash=hashed,
                    role=args.role,
                    telegram=args.telegram,
                )
                print(f"đã thêm {added.name} ({added.role}) vào tổ phường {args.ward}")
        elif args.command == "set-password":
            hashed = hash_password(_password(args))
            with session_scope() as session:
                found = session.scalar(select(Member).where(Member.username == args.username))
                if found is None:
                    raise service.HandoffError(f"Không có tài khoản '{args.username}'.")
                found.password_hash = hashed
                end_member_sessions(session, found.id)  # signed-in browsers sign in again
                print(f"đã cập nhật tài khoản {args.username}")
        elif args.command == "deactivate":
            with session_scope() as session:
                gone, released = service.deactivate_member(session, args.member)
                end_member_sessions(session, gone.id)
                back = ", ".join(f"#{t}" for t in released) or "không có"
                print(f"đã khóa {gone.name}; yêu cầu trả lại hàng chờ: {back}")
        elif args.command == "list":
            with session_scope() as session:
                for team in session.scalars(select(Team).order_by(Team.ward)):
                    waiting = session.scalar(
                        select(func.count())
                        .select_from(Ticket)
                        .where(Ticket.team_id == team.id, Ticket.status.in_(ACTIVE))
                    )
                    print(
                        f"{team.ward}: {team.name} | giờ: {team.hours} | Telegram: "
                        f"{team.telegram_chat_id or '-'} | yêu cầu đang mở: {waiting}"
                    )
                    for m in session.scalars(select(Member).where(Member.team_id == team.id)):
                        state = "" if m.active else " (đã nghỉ)"
                        print(
                            f"  - #{m.id} {m.name} [{m.role}] đăng nhập: {m.username or '-'} "
                            f"Telegram: {m.telegram or '-'}{state}"
                        )
    except (service.HandoffError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
