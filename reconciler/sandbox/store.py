"""The sandbox's accounts, kept in one JSON file that several processes may share.

Every request that reads or changes state runs inside `Store.transaction()`:
  1. the threads of this process take `Store.lock` (re-entrant);
  2. the process takes an exclusive `fcntl.flock` on the sibling lock file
     `<state>.lock` (so two `apply --sandbox` runs, or a standalone sandbox and a
     CLI run, sharing one state file, take turns);
  3. the file is re-read if anyone changed it since this process last read or
     wrote it (another process: it changes the token in the lock file; a person
     editing the state by hand: the file's size, mtime or inode change);
  4. the request reads or mutates, and a mutation is saved (`save()`) before the
     lock is released and before the answer is sent.

A save is atomic (temp file + rename). A save that fails (disk full, file not
writable) raises `SandboxSaveError` after rolling the in-memory accounts back to
what the file holds, so the failed write is not visible to a read-back; the
server answers it as an internal error (HTTP 500, -1001), never as success.

A state file that cannot be used when the sandbox starts (not JSON, no
`accounts`, a directory, unreadable) raises `SandboxStateError`, one line naming
the file and what to do. A file that someone breaks while the sandbox runs is
ignored with a warning (the state in memory stays; the next write replaces it).
Writes are not fsync'ed: the file is a sandbox, not a ledger.
"""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from reconciler.atomic import atomic_write
from reconciler.errors import LeaderctlError
from reconciler.sandbox.seed import seed_account

log = logging.getLogger(__name__)

STATE_VERSION = 1
# what every account needs for the endpoints to work, and its JSON type
ACCOUNT_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "leader": (bool, int), "api_key": str, "api_secret": str, "readonly_api_key": str,
    "readonly_api_secret": str, "config": dict, "symbols": list, "orders_current": list,
    "orders_history": list, "trade_data": dict, "profit_sharings": list, "followers": list,
}
START_OVER = "delete it to start over"


class SandboxStateError(LeaderctlError):
    """The sandbox's state file cannot be used; the message names it and says what to do."""


class SandboxSaveError(SandboxStateError):
    """A change could not be saved to the state file, so it was not made."""


class _Unusable(Exception):
    """Why a state file's content cannot be used (completed into a message by the caller)."""


class Store:
    """All accounts, one transaction at a time across threads and processes."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path is not None else None
        self.lock = threading.RLock()
        self.accounts: dict[str, dict] = {}
        self._saved: dict[str, str] = {}  # account -> its JSON text as in the file now
        self._index: dict[str, tuple[str, bool]] = {}  # API key -> (account name, read-only?): by_key
        self._seen: tuple | None = None  # (lock token, file signature) as last read or written
        self._lock_file = None
        self._depth = 0
        if self.path is not None:
            self._open()

    # -- opening

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _open(self) -> None:
        """Check the place, create the lock file, read the file if there is one: strictly."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SandboxStateError(
                f"sandbox state file {self.path}: its directory cannot be created ({_reason(exc)}); "
                "choose another path or fix the directory") from None
        if self.path.is_dir():
            raise SandboxStateError(
                f"sandbox state file {self.path} is a directory, not a file; remove it or choose another path")
        with self.transaction(strict=True):
            pass

    def _lock_fd(self) -> int:
        if self._lock_file is None:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise SandboxStateError(
                    f"sandbox lock file {self.lock_path} cannot be opened ({_reason(exc)}); "
                    "fix the directory's permissions or choose another state path") from None
            self._lock_file = os.fdopen(fd, "r+b", buffering=0)
        return self._lock_file.fileno()

    def close(self) -> None:
        """Release the lock file's descriptor (reopened by the next transaction)."""
        with self.lock:
            if self._depth == 0 and self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    # -- transactions

    @contextmanager
    def transaction(self, strict: bool = False) -> Iterator[None]:
        """Exclusive access to the accounts, with the file's latest content loaded (module doc)."""
        with self.lock:
            outermost = self._depth == 0 and self.path is not None
            fd = self._lock_fd() if outermost else -1
            if outermost:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                if outermost:
                    self._refresh(strict)
                yield
            finally:
                self._depth -= 1
                if outermost:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _token(self) -> bytes:
        return os.pread(self._lock_file.fileno(), 64, 0)

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self, strict: bool) -> None:
        seen = (self._token(), self._signature())
        if seen == self._seen:
            return
        if seen[1] is None:  # no file yet (or deleted): the state in memory stands
            self._seen = seen
            return
        try:
            self.accounts, self._saved = _read(self.path)
        except _Unusable as exc:
            if strict:
                raise SandboxStateError(f"sandbox state file {self.path} {exc}; {START_OVER}") from None
            log.warning("sandbox state file %s was changed but %s; keeping the state in memory", self.path, exc)
        self._seen = seen

    # -- writing

    def save(self, changed: str | None = None) -> None:
        """Persist now; `changed` names the only account that changed (None = maybe all).

        On failure the in-memory state goes back to what the file holds and
        SandboxSaveError is raised.
        """
        if self.path is None:
            return
        with self.transaction():
            names = list(self.accounts) if changed is None else [changed]
            fresh = {n: _render_account(self.accounts[n]) for n in names if n in self.accounts}
            fresh.update({n: _render_account(a) for n, a in self.accounts.items() if n not in fresh and n not in self._saved})
            text = _render_file({n: fresh.get(n) or self._saved[n] for n in self.accounts})
            try:
                token = os.urandom(8).hex().encode()
                os.pwrite(self._lock_file.fileno(), token, 0)  # first: a failed save only costs a re-read
                self.path.parent.mkdir(parents=True, exist_ok=True)  # deleted while running: start over
                atomic_write(self.path, text)
            except OSError as exc:
                self._roll_back(fresh)
                raise SandboxSaveError(
                    f"could not save sandbox state to {self.path} ({_reason(exc)}); the change was not made") from None
            self._saved.update(fresh)
            self._seen = (token, self._signature())

    def _roll_back(self, fresh: dict[str, str]) -> None:
        for name in fresh:
            if name in self._saved:
                self.accounts[name] = json.loads(self._saved[name])
            else:
                self.accounts.pop(name, None)

    # -- accounts

    def ensure(self, name: str, leader: bool = True) -> dict:
        with self.transaction():
            if name not in self.accounts:
                self.accounts[name] = seed_account(name, leader=leader)
                self.save(changed=name)
            return self.accounts[name]

    def by_key(self, api_key: str) -> tuple[dict, bool] | None:
        """The account owning `api_key`, and whether the key is read-only.

        A dictionary lookup (key -> account name), checked against the account itself: the
        accounts may be reloaded from the file, rolled back or edited in place (tests do),
        so a stale or missing entry rebuilds the index; only an unknown key costs a scan."""
        with self.transaction():
            found = self._checked(api_key)
            if found is None:
                self._index = self._build_index()
                found = self._checked(api_key)
            return found

    def _checked(self, api_key: str) -> tuple[dict, bool] | None:
        entry = self._index.get(api_key)
        if entry is None:
            return None
        name, readonly = entry
        account = self.accounts.get(name)
        if account is None or account.get("readonly_api_key" if readonly else "api_key") != api_key:
            return None
        return account, readonly

    def _build_index(self) -> dict[str, tuple[str, bool]]:
        index: dict[str, tuple[str, bool]] = {}
        for name, account in self.accounts.items():  # the first owner wins, as a scan in order would
            for field, readonly in (("api_key", False), ("readonly_api_key", True)):
                key = account.get(field)
                if isinstance(key, str):
                    index.setdefault(key, (name, readonly))
        return index


# ------------------------------------------------------------------ the file


def _reason(exc: OSError) -> str:
    if exc.errno is not None:
        return exc.strerror or errno.errorcode.get(exc.errno, str(exc.errno))
    return str(exc)


def _read(path: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """The accounts in the file, and each one's JSON text; _Unusable says why not."""
    try:
        text = path.read_bytes().decode("utf-8")
    except IsADirectoryError:
        raise _Unusable("is a directory, not a file") from None
    except OSError as exc:
        raise _Unusable(f"cannot be read ({_reason(exc)})") from None
    except UnicodeDecodeError:
        raise _Unusable("is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise _Unusable(f"is not valid JSON{where}") from None
    _check(data)
    accounts = data["accounts"]
    return accounts, {name: _render_account(account) for name, account in accounts.items()}


def _check(data) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), dict):
        raise _Unusable('is not a sandbox state file (no "accounts" object)')
    if data.get("version", STATE_VERSION) != STATE_VERSION:
        raise _Unusable(f"has version {data.get('version')!r}, this leaderctl reads version {STATE_VERSION}")
    for name, account in data["accounts"].items():
        if not isinstance(account, dict):
            raise _Unusable(f"has an account {name!r} that is not an object")
        for key, kind in ACCOUNT_KEYS.items():
            if not isinstance(account.get(key), kind):
                raise _Unusable(f"has an account {name!r} without a valid {key!r}")
        if account["name"] != name:
            raise _Unusable(f"has an account {name!r} whose name is {account['name']!r}")


def _render_file(rendered: dict[str, str]) -> str:
    body = ",\n".join(f"    {json.dumps(name)}: {text}" for name, text in rendered.items())
    return f'{{\n  "version": {STATE_VERSION},\n  "accounts": {{\n{body}\n  }}\n}}\n'


def _render_account(account: dict) -> str:
    """Pretty enough to edit by hand, compact enough to rewrite on every mutation:
    scalars and small objects indented, record lists one record per line."""
    lines = []
    for key, value in account.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            items = ",\n".join(f"        {json.dumps(v)}" for v in value)
            text = f"[\n{items}\n      ]"
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            items = ",\n".join(f"        {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            text = f"{{\n{items}\n      }}"
        else:
            text = json.dumps(value, indent=2).replace("\n", "\n      ")
        lines.append(f"      {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n    }"
