"""A real PostgreSQL (Debian's binaries) for tests, in a temporary folder, on loopback.

`initdb` makes a cluster in a fresh folder, `pg_ctl` runs it on a free 127.0.0.1 port with
password (scram) authentication, and it is stopped and removed afterwards. PostgreSQL
refuses to run as root, and CI runs as root: then the cluster belongs to an unprivileged
system user (`postgres` from Debian's package, else `nobody`) and every binary runs as that
user through `runuser`. Durability is switched off (fsync, synchronous commit): a test
cluster that dies is thrown away anyway, and tests run several times faster.

One cluster per test session and xdist worker (`pg_cluster`), one fresh database per test
(`pg_database`); a test that stops the server makes its own cluster (`running_cluster`).
Without the binaries a test is skipped, except under CI, where it fails:
`packaging/setup.sh --test` installs them (Debian's `postgresql`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import running_in_ci
from tests.server.nginx_fixture import free_port

ROLE = "keyfob"
START_TIMEOUT = 60


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: $KEYFOB_PG_BIN, else the newest Debian version."""
    given = os.environ.get("KEYFOB_PG_BIN")
    if given:
        return Path(given)
    found = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        with contextlib.suppress(ValueError):
            found.append((float(candidate.parent.name), candidate))
    found = [(version, path) for version, path in found if (path / "initdb").is_file()]
    if found:
        return max(found)[1]
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if bindir and (Path(bindir) / "initdb").is_file():
            return Path(bindir)
    return None


def require_bindir() -> Path:
    bindir = postgres_bindir()
    if bindir is not None:
        return bindir
    reason = (
        "PostgreSQL's initdb/pg_ctl are missing (Debian: apt-get install postgresql, "
        "which packaging/setup.sh --test does)"
    )
    if running_in_ci():
        pytest.fail(f"{reason}; CI must have them", pytrace=False)
    pytest.skip(reason)


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user the cluster runs as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise AssertionError("running as root, and neither `postgres` nor `nobody` exists")


@dataclass
class PostgresCluster:
    bindir: Path
    folder: Path
    port: int
    password: str
    user: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )

    def _checked(self, *args: str) -> None:
        result = self._run(*args)
        if result.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"{args[0]} failed:\n{result.stdout}{result.stderr}\n{tail}")

    def initdb(self) -> None:
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        self._checked(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            ROLE,
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()

    def start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.folder}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c shared_buffers=64MB",
            ]
        )
        self._checked(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: roll back, close every connection, like a restart)."""
        self._checked("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _client(self, *args: str) -> None:
        """A client program (createdb, dropdb) as ourselves, over TCP with the password."""
        result = subprocess.run(
            [
                str(self.bindir / args[0]),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE),
                *args[1:],
            ],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
            env={**os.environ, "PGPASSWORD": self.password},
        )
        assert result.returncode == 0, f"{args[0]} failed: {result.stderr}"

    def create_database(self) -> str:
        name = "t_" + secrets.token_hex(6)
        self._client("createdb", name)
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: nodes a test started may still be closing their connections.
        self._client("dropdb", "--force", "--if-exists", name)


@contextlib.contextmanager
def running_cluster() -> Iterator[PostgresCluster]:
    """A new cluster, running until the block ends; then stopped and removed."""
    bindir = require_bindir()
    user = _service_user()
    # Not under pytest's tmp_path: its parents are private to root, and the cluster's
    # user must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="keyfob-pg-"))
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    cluster = PostgresCluster(bindir, folder, free_port(), secrets.token_urlsafe(16), user)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            if cluster.running():
                cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One cluster for this test session (per xdist worker)."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_database(pg_cluster: PostgresCluster) -> Iterator[str]:
    """The URL of a fresh, empty database, dropped after the test."""
    name = pg_cluster.create_database()
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)
