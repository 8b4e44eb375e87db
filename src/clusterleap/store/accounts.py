"""Accounts: argon2 password hashes, browser sessions, API tokens and login throttling.

Secrets (session cookies, API tokens) are 256-bit random strings handed to the user once; the store keeps only
their SHA-256, so a copy of the database lets no one log in. Passwords are hashed with argon2id (argon2-cffi's
defaults, RFC 9106's second recommended parameter set). Throttling counts failed logins per user name and per
client address over a sliding window and refuses further attempts, right or wrong, until the window has passed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, bindparam, delete, func, select
from sqlalchemy.orm import Session

from .errors import Invalid, NotFound
from .models import ROLES, ApiToken, LoginAttempt, User, UserCluster, WebSession, utcnow

__all__ = [
    "MAX_FAILURES",
    "SESSION_HOURS",
    "THROTTLE_WINDOW",
    "Actor",
    "actor_for",
    "add_user",
    "aware",
    "check_password",
    "create_token",
    "end_session",
    "hash_secret",
    "login",
    "new_session",
    "session_actor",
    "throttled",
    "token_actor",
]

_hasher = PasswordHasher()
MAX_FAILURES = 5
#: an office behind one address shares this limit, so it is higher than the per-account one
MAX_FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = timedelta(minutes=15)
SESSION_HOURS = 12
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Actor:
    """Who is asking: the user, the role and (for contributors) the clusters of the account."""

    user_id: int
    username: str
    role: str
    clusters: frozenset[str] = frozenset()

    @property
    def is_staff(self) -> bool:
        """Admins and analysts see everything of the workspace."""
        return self.role in ("admin", "analyst")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(db: Session, username: str, password: str, role: str, clusters: tuple[str, ...] = (),
             display_name: str = "") -> User:
    """Create an account (the caller commits). Passwords shorter than 10 characters are refused."""
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise Invalid(f"user name {username!r}: expected 1-80 characters without spaces", field="username")
    if role not in ROLES:
        raise Invalid(f"role {role!r}: expected one of {', '.join(ROLES)}", field="role")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password: expected at least {MIN_PASSWORD} characters", field="password")
    if role == "contributor" and not clusters:
        raise Invalid("a contributor needs at least one cluster (--cluster CODE)", field="clusters")
    if db.scalar(select(User).where(User.username == username)) is not None:
        raise Invalid(f"user {username!r} exists already", field="username")
    user = User(username=username, role=role, password_hash=_hasher.hash(password), display_name=display_name)
    db.add(user)
    db.flush()
    for code in dict.fromkeys(clusters):
        db.add(UserCluster(user_id=user.id, unit=code))
    return user


def actor_for(db: Session, user: User) -> Actor:
    units = frozenset(db.scalars(select(UserCluster.unit).where(UserCluster.user_id == user.id)))
    return Actor(user.id, user.username, user.role, units)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def throttled(db: Session, username: str, ip: str) -> bool:
    """True when the user name has failed MAX_FAILURES times, or the address MAX_FAILURES_PER_ADDRESS times, within
    THROTTLE_WINDOW."""
    since = utcnow() - THROTTLE_WINDOW
    for column, value, limit in ((LoginAttempt.username, username, MAX_FAILURES),
                                 (LoginAttempt.ip, ip, MAX_FAILURES_PER_ADDRESS)):
        n = db.scalar(select(func.count()).select_from(LoginAttempt).where(
            column == value, LoginAttempt.ok.is_(False), LoginAttempt.at >= since))
        if (n or 0) >= limit:
            return True
    return False


def login(db: Session, username: str, password: str, ip: str) -> User | None:
    """The user when the name and password match and the login is not throttled; every attempt is recorded.
    Raises Invalid(field='throttled') while throttled."""
    if throttled(db, username, ip):
        raise Invalid("too many failed logins: wait 15 minutes and try again", field="throttled")
    user = db.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok = user is not None and check_password(user, password)
    if user is None:
        _hasher.hash(password)  # spend the same time as for a real user, so timing does not tell names apart
    db.add(LoginAttempt(username=username, ip=ip, ok=ok))
    db.flush()
    return user if ok else None


def new_session(db: Session, user: User) -> tuple[str, WebSession]:
    """A new session; returns the cookie secret (shown once) and the row."""
    secret = secrets.token_urlsafe(32)
    row = WebSession(id=hash_secret(secret), user_id=user.id, csrf=secrets.token_urlsafe(32),
                     expires_at=utcnow() + timedelta(hours=SESSION_HOURS))
    db.add(row)
    db.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    db.flush()
    return secret, row


def aware(ts: datetime) -> datetime:
    """``ts`` with its zone: SQLite returns naive datetimes for timezone-aware columns (they were stored in UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def _actor_query(*where: ColumnElement[bool], via_token: bool = False) -> Select[int, str, str, str]:
    """The active user matching ``where`` with its clusters (one row per cluster), built once: the pages run it on
    every request, and a prepared statement spares SQLAlchemy building the expression each time."""
    q = select(User.id, User.username, User.role, UserCluster.unit).select_from(User)
    if via_token:
        q = q.join(ApiToken, ApiToken.user_id == User.id)
    return q.outerjoin(UserCluster, UserCluster.user_id == User.id).where(User.active.is_(True), *where)


_BY_ID = _actor_query(User.id == bindparam("uid"))
_BY_TOKEN = _actor_query(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None), via_token=True)


def _actor_of(db: Session, query: Select[int, str, str, str], **params: object) -> Actor | None:
    rows = db.execute(query, params).all()
    if not rows:
        return None
    uid, name, role, _ = rows[0]
    return Actor(int(uid), str(name), str(role), frozenset(str(r[3]) for r in rows if r[3] is not None))


def session_actor(db: Session, secret: str) -> tuple[Actor, WebSession] | None:
    row = db.get(WebSession, hash_secret(secret))
    if row is None or aware(row.expires_at) < utcnow():
        return None
    actor = _actor_of(db, _BY_ID, uid=row.user_id)
    return None if actor is None else (actor, row)


def end_session(db: Session, secret: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == hash_secret(secret)))


def create_token(db: Session, username: str, name: str = "") -> str:
    """A new API token for ``username``; returns the token (shown once)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    token = "clt_" + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, name=name, token_hash=hash_secret(token)))
    db.flush()
    return token


def token_actor(db: Session, token: str) -> Actor | None:
    """The active user of an unrevoked API token (one query: a token is looked up by its SHA-256, which is safe
    for 256-bit random secrets and costs microseconds, unlike a password hash)."""
    return _actor_of(db, _BY_TOKEN, digest=hash_secret(token))
