"""One writer per archive: an exclusive lock on the WARC folder and a lease in the database.

A crawl, ``govcrawl import`` and ``govcrawl reparse`` each take what they write to before they
touch it, and hold it until they are done (``ArchiveHold``):

- ``FolderLock``: ``fcntl.flock`` on ``WARC_DIR/.govcrawl.lock``. The kernel releases it when the
  process dies however it dies (SIGKILL, OOM, power loss), so it never goes stale, and a second
  process on the folder is refused before it repairs anything there. Without it, a crawl with
  another database "recovered" a live crawl's ``.open`` file: cut its record in flight and renamed
  the file under it (review H5). On NFSv4 Linux maps flock to a byte-range lock the server
  arbitrates, so hosts sharing the folder exclude each other as well. The file is removed on
  release (tests and tools list the folder); an acquirer checks that the name still refers to
  the file it locked, so removal cannot let two holders in.
- ``WriterLease``: one row in the ``leases`` table: the holder's token, command, run, host, pid
  and process start, and ``expires_at``. It is what crosses hosts: a flock on one machine's disk
  means nothing to a crawl on another machine that uses the same PostgreSQL database.

Why a lease row, and not a PostgreSQL advisory lock
---------------------------------------------------
- It works the same on SQLite and PostgreSQL (one code path, tested on both).
- It says who holds it: the refusal names the command, run, host and pid.
- It says which run is live: a run is live exactly while it holds an unexpired lease, so the
  repair before a crawl knows which runs are dead without guessing from a pid on another host.
- An advisory lock lives and dies with one server connection: a pool recycling that connection,
  or a PgBouncer in transaction mode, drops it without a word.

Taking it is a compare-and-set (``UPDATE … WHERE token = <the token read>``; an ``INSERT`` of the
first row), atomic on both backends without locking a table. A lease is free when it expired,
or at once when its holder ran on this host and that process is gone (same pid *and* same
process start, so a pid reused after a reboot or by another program does not count as the
holder). A holder on this host that is still alive keeps it even past its expiry: it is stuck,
not dead, and only a person should decide to stop it.

Renewal rides on the holder's own commits (``renew`` in the same transaction, at most every
``ttl / 4`` seconds): no second connection, so on SQLite no other writer whose commit would
invalidate the holder's read snapshot (``SQLITE_BUSY_SNAPSHOT`` fails a transaction at once,
whatever the busy timeout). The crawl commits on a timer as well; import and reparse commit at
least every few seconds between results. A holder that finds its lease taken (it stalled past
its expiry and another host took over) is told so (``LeaseLost``) and stops.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.db import WriteLock, as_writer, aware, fit
from archive.models import Lease

__all__ = ["LOCK_NAME", "LEASE_SECONDS", "ArchiveBusy", "ArchiveHold", "FolderLock", "LeaseLost",
           "WriterLease", "hold_archive", "live_lease", "process_start"]

LOCK_NAME = ".govcrawl.lock"
LEASE_NAME = "archive"  # one writer per database
# Long enough for an import or reparse waiting on one analysis (60 s limit by default) between
# two commits; short enough that a crawl on another host takes over a dead one in minutes. A
# holder on this host that died frees it at once.
LEASE_SECONDS = 300.0

# Lease tokens held by this process: ``prepare_run`` checks that the lease it runs under is ours.
_held_tokens: set[str] = set()


class ArchiveBusy(Exception):
    """Another crawl, import or reparse writes to this WARC folder or database."""


class LeaseLost(ArchiveBusy):
    """This process's lease expired and another one took it: stop writing."""


def now() -> datetime:
    return datetime.now(UTC)


def process_start(pid: int) -> str | None:
    """What tells this process from a later one with the same pid: the boot and the start time
    (``/proc/PID/stat`` field 22, clock ticks since boot). None where ``/proc`` is missing."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ")".
    fields = stat.rpartition(")")[2].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process: alive (OverflowError: not a pid at all)
    return True


def holder_alive_here(host: str | None, pid: int | None, started: str | None) -> bool | None:
    """Is the process ``pid`` of ``host`` still running? None: it ran on another host, which
    this host cannot tell (its lease's expiry decides)."""
    if host != socket.gethostname():
        return None
    if not pid or not _pid_alive(int(pid)):
        return False
    # A live pid is the holder only if it started when the holder did (not a reused pid).
    return started is None or process_start(int(pid)) in (None, started)


# -- the WARC folder -------------------------------------------------------------------------------
class FolderLock:
    """An exclusive ``flock`` on ``folder/.govcrawl.lock`` (the folder is made if missing)."""

    def __init__(self, folder: str | os.PathLike[str], command: str) -> None:
        self.folder = Path(folder).expanduser().resolve()
        self.path = self.folder / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> FolderLock:
        """Take the lock or raise ArchiveBusy naming its holder; never waits."""
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise ArchiveBusy(f"the WARC folder {self.folder} is in use by {holder}; wait for "
                                  f"it to finish or stop it first") from None
            # The holder before us removes the file as it lets go: if the name now leads to
            # another file (or none), our lock is on an orphan. Start again on the name.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        description = {"command": self.command, "pid": os.getpid(),
                       "host": socket.gethostname(), "since": now().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(description) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        # Removed while still locked, so nobody can lock this file after we let go of it.
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                os.unlink(self.path)
        os.close(fd)  # releases the flock


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return (f"govcrawl {data['command']} (pid {data['pid']} on {data['host']}, since "
                f"{data['since']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another govcrawl process"


# -- the database ----------------------------------------------------------------------------------
def live_lease(session: Session) -> Lease | None:
    """The lease row if someone holds it now (see the module docstring), else None."""
    row = session.get(Lease, LEASE_NAME, populate_existing=True)
    return row if row is not None and _is_live(row) else None


def _is_live(row: Lease) -> bool:
    alive = holder_alive_here(row.host, row.pid, row.process_start)
    if alive is not None:
        return alive  # on this host the process itself says it, expired or not
    return aware(row.expires_at) > now()


def describe(row: Lease) -> str:
    run = f" (run {row.run_id})" if row.run_id is not None else ""
    text = (f"govcrawl {row.command}{run}, pid {row.pid} on {row.host}, lease until "
            f"{aware(row.expires_at).isoformat(timespec='seconds')}")
    if aware(row.expires_at) <= now():
        text += " (expired, but the process is still running: stop it if it is stuck)"
    return text


def held_elsewhere(session: Session) -> Lease | None:
    """The live lease of another process (or of another hold in this one), if any."""
    row = live_lease(session)
    return row if row is not None and row.token not in _held_tokens else None


class WriterLease:
    """This process's lease on one database (see the module docstring)."""

    def __init__(self, engine: Engine, command: str, ttl: float = LEASE_SECONDS) -> None:
        self.engine = engine
        self.command = command
        self.ttl = ttl
        self.token = uuid.uuid4().hex
        self.run_id: int | None = None
        self._renewed = 0.0  # time.monotonic() of the last renewal
        self._writing: WriteLock | None = None  # the holder's writing session (attach)
        self.held = False

    def _values(self) -> dict[str, Any]:
        moment = now()
        return fit(Lease.__table__, {  # type: ignore[arg-type]
            "token": self.token, "command": self.command, "run_id": self.run_id,
            "host": socket.gethostname(), "pid": os.getpid(), "process_start": process_start(
                os.getpid()), "acquired_at": moment,
            "expires_at": moment + timedelta(seconds=self.ttl)})

    def acquire(self) -> WriterLease:
        """Take the lease or raise ArchiveBusy naming its holder; never waits."""
        table = Lease.__table__
        for _ in range(3):  # another process changed the row between our read and our write
            with Session(self.engine) as session:
                row = session.get(Lease, LEASE_NAME)
                if row is not None and _is_live(row):
                    raise ArchiveBusy(f"the database is in use by {describe(row)}; wait for it "
                                      f"to finish or stop it first")
                seen = row.token if row is not None else None
            try:
                with self.engine.begin() as conn:
                    if seen is None:
                        conn.execute(insert(table).values(name=LEASE_NAME, **self._values()))
                        taken = True
                    else:
                        taken = conn.execute(update(table).where(
                            table.c.name == LEASE_NAME, table.c.token == seen)
                            .values(**self._values())).rowcount == 1
            except IntegrityError:  # two first rows at once: the other one won
                taken = False
            if taken:
                self.held = True
                self._renewed = time.monotonic()
                _held_tokens.add(self.token)
                return self
        raise ArchiveBusy("the database is being taken by another govcrawl process; try again")

    def attach(self, session: Session, run_id: int) -> None:
        """Name the run this lease is for (in ``session``'s transaction; commit it). ``session``
        is the holder's writing session from now on (``archive.db.as_writer``): the crawl's is
        made where this module cannot see it, and this is where it meets the lease."""
        self._writing = as_writer(session)
        self.run_id = run_id
        table = Lease.__table__
        session.execute(update(table).where(table.c.name == LEASE_NAME,
                                            table.c.token == self.token).values(run_id=run_id))

    def due(self) -> bool:
        return time.monotonic() - self._renewed >= self.ttl / 4

    def renew(self, session: Session, *, force: bool = False) -> None:
        """Move the expiry on, in ``session``'s transaction (the caller commits it), when due.
        Raises LeaseLost if another process holds the lease now."""
        if not self.held or not (force or self.due()):
            return
        table = Lease.__table__
        updated = session.execute(update(table).where(
            table.c.name == LEASE_NAME, table.c.token == self.token)
            .values(expires_at=now() + timedelta(seconds=self.ttl))).rowcount
        if updated != 1:
            self.held = False
            _held_tokens.discard(self.token)
            raise LeaseLost("this process's lease on the database expired and another govcrawl "
                            "process took it; stopping")
        self._renewed = time.monotonic()

    def release(self) -> None:
        """Give the lease up (its own connection: the holder's session may be gone)."""
        if self._writing is not None:
            self._writing.end()  # a read of the session after this takes no write lock
        if not self.held:
            return
        self.held = False
        _held_tokens.discard(self.token)
        table = Lease.__table__
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.name == LEASE_NAME,
                                             table.c.token == self.token))


# -- both ------------------------------------------------------------------------------------------
@dataclass
class ArchiveHold:
    """What one crawl, import or reparse holds: the WARC folder it writes (if any) and the
    database's lease."""

    lease: WriterLease
    folder: FolderLock | None = None

    @property
    def lost(self) -> bool:
        return not self.lease.held

    def attach(self, session: Session, run_id: int) -> None:
        self.lease.attach(session, run_id)

    def renew(self, session: Session, *, force: bool = False) -> None:
        self.lease.renew(session, force=force)

    def due(self) -> bool:
        return self.lease.due()

    def release(self) -> None:
        """Let go of both; the folder last, so no writer finds the folder free and the
        database still taken."""
        try:
            self.lease.release()
        finally:
            if self.folder is not None:
                self.folder.release()


def hold_archive(engine: Engine, command: str, *, folder: str | os.PathLike[str] | None = None,
                 ttl: float = LEASE_SECONDS) -> ArchiveHold:
    """Take the folder (if given) and the database for ``command``; raises ArchiveBusy naming
    the holder of either. Nothing is held when it raises."""
    lock = FolderLock(folder, command).acquire() if folder is not None else None
    try:
        lease = WriterLease(engine, command, ttl).acquire()
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return ArchiveHold(lease, lock)

