"""Console sign-in: password hashes, server-side sessions, CSRF tokens, login throttling.

- Passwords: argon2id (argon2-cffi's defaults); the CLI hashes with ``hash_password`` too.
- Sessions: the cookie carries a random token; the database keeps only its SHA-256, so a
  leaked database or backup cannot be replayed as a cookie. Logging out deletes the row.
- CSRF: each session has its own token, sent back in a hidden field of every form.
- Throttling: failed sign-ins are audit events; five for one username from one address
  within 15 minutes block further tries from there for the rest of the window. Every
  attempt also counts, atomically, against 30 per address and 300 overall per window, and
  a throttled attempt never reaches argon2. Counting in the database keeps the limits
  across restarts and gateway workers.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.audit import AuditEvent, record
from bot.db.base import as_utc, utcnow
from bot.handoff import service
from bot.handoff.models import ConsoleSession, Member
from bot.privacy import mask_pii
from bot.ratelimit import is_loopback, within

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5  # per username and address
FAILURE_WINDOW = timedelta(minutes=15)
ATTEMPTS_PER_ADDRESS = 30  # any usernames
ATTEMPTS_OVERALL = 300  # a whole ward's team signs in far less often
# Audit actions of sign-ins.
LOGIN_OK = "console_login"
LOGIN_FAILED = "console_login_failed"
LOGIN_BLOCKED = "console_login_blocked"

_hasher = PasswordHasher()


# -- passwords ------------------------------------------------------------------------------


def password_problem(password: str) -> str | None:
    """Why a new password is refused (Vietnamese), or None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    if password.strip() != password:
        return "Mật khẩu không được bắt đầu hay kết thúc bằng dấu cách."
    if password.isdigit():
        return "Mật khẩu không được chỉ gồm chữ số: thêm vài chữ cái."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the member exists (a missing hash is checked against a
    dummy one), so response times do not tell which usernames are real."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
        return False  # ValueError: a hash that is not even ASCII (edited by hand)


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


# -- sessions -------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(session: Session, member: Member, hours: float) -> tuple[str, ConsoleSession]:
    """A session for ``member``; returns the cookie token (never stored) and the row."""
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=token_hash(token),
        member_id=member.id,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(session: Session, token: str) -> tuple[ConsoleSession, Member] | None:
    """The live session behind a cookie token with its active member, or None."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))
    )
    if row is None:
        return None
    if as_utc(row.expires_at) <= utcnow():
        session.delete(row)
        return None
    member = session.get(Member, row.member_id)
    if member is None or not member.active:
        return None
    return row, member


def end_session(session: Session, token: str) -> Member | None:
    """Delete the session (logout); the member it belonged to, if any."""
    row = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))
    )
    if row is None:
        return None
    member = session.get(Member, row.member_id)
    session.delete(row)
    return member


def end_member_sessions(session: Session, member_id: int) -> None:
    """Sign a member out everywhere (a new password, a member who left)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.member_id == member_id))


def purge_expired(session: Session) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= utcnow()))


# -- one-time codes ---------------------------------------------------------------------------

SETUP_CODE_VALID = timedelta(hours=72)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
CODE_SET = "console_setup_code"
PASSWORD_SET = "console_password_set"


def _code_key(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def new_setup_code(session: Session, member: Member, admin: str) -> str:
    """A one-time code (shown once to the admin, kept only as a hash) with which the
    member sets a new password. The old password and every session stop at once: a
    reset is also what an admin does for a lost phone."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    member.setup_code_hash = hash_password(_code_key(code))
    member.setup_code_expires = utcnow() + SETUP_CODE_VALID
    member.password_hash = None
    end_member_sessions(session, member.id)
    record(session, _actor(admin), CODE_SET, f"member:{member.id}")
    return code


def redeem_setup_code(
    session: Session, username: str, code: str, password: str, address: str | None
) -> LoginOutcome:
    """Set the member's password with their one-time code. Throttled and audited like a
    sign-in: a wrong code is a failed sign-in."""
    username = username.strip()[:80]
    window = int(FAILURE_WINDOW.total_seconds())
    per_address = is_loopback(address) or within(
        session, f"login-address:{address}", ATTEMPTS_PER_ADDRESS, window
    )
    if not per_address or failures(session, username, address) >= MAX_FAILURES:
        record(session, _actor(username), LOGIN_BLOCKED, _origin(address))
        return LoginOutcome("blocked")
    member = service.member_by_username(session, username) if username else None
    usable = (
        member is not None
        and member.active
        and member.setup_code_expires is not None
        and as_utc(member.setup_code_expires) > utcnow()
    )
    given = _code_key(code)
    if not verify_password(member.setup_code_hash if usable and member else None, given):
        record(session, _actor(username), LOGIN_FAILED, _origin(address))
        return LoginOutcome("failed")
    assert member is not None
    member.password_hash = hash_password(password)
    member.setup_code_hash = member.setup_code_expires = None
    end_member_sessions(session, member.id)
    record(session, _actor(username), PASSWORD_SET, _origin(address), f"member:{member.id}")
    return LoginOutcome("ok", member)


# -- signing in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    result: Literal["ok", "failed", "blocked"]
    member: Member | None = None


def _actor(username: str) -> str:
    return f"console:{username}"


def _origin(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


def failures(session: Session, username: str, address: str | None) -> int:
    """Failed sign-ins for this username from this address within the window. The audit
    log masks what it stores, so the same masking is applied before comparing."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == LOGIN_FAILED,
                AuditEvent.actor == mask_pii(_actor(username)),
                AuditEvent.subject == mask_pii(_origin(address)),
                AuditEvent.at >= utcnow() - FAILURE_WINDOW,
            )
        )
        or 0
    )


def authenticate(
    session: Session, username: str, password: str, address: str | None
) -> LoginOutcome:
    """Check a sign-in and audit it. A blocked username+address is refused before the
    password is even checked, so guessing on gains nothing."""
    username = username.strip()[:80]
    # Every attempt is counted (atomically) per address and overall before any password
    # is hashed: guessing with random usernames, or from many places at once, stops there
    # instead of keeping argon2 busy for everyone.
    window = int(FAILURE_WINDOW.total_seconds())
    per_address = is_loopback(address) or within(
        session, f"login-address:{address}", ATTEMPTS_PER_ADDRESS, window
    )
    overall = within(session, "login-all", ATTEMPTS_OVERALL, window)
    if not (per_address and overall) or failures(session, username, address) >= MAX_FAILURES:
        record(session, _actor(username), LOGIN_BLOCKED, _origin(address))
        return LoginOutcome("blocked")
    member = service.member_by_username(session, username) if username else None
    if not verify_password(member.password_hash if member else None, password) or member is None:
        record(session, _actor(username), LOGIN_FAILED, _origin(address))
        return LoginOutcome("failed")
    if member.password_hash and needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)  # argon2 parameters were raised
    record(session, _actor(username), LOGIN_OK, _origin(address), f"member:{member.id}")
    return LoginOutcome("ok", member)
