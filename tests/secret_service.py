"""A real Secret Service for tests and benchmarks: GNOME Keyring on a private D-Bus bus.

`running_secret_service()` starts `dbus-daemon` with a bus of its own (a config that names no
service folders, so nothing is ever started on demand) and `gnome-keyring-daemon --unlock`
in a fresh HOME and XDG folders, feeding it a password so its "login" collection is made and
unlocked; it yields once that collection answers, unlocked, and kills both daemons after.
The bus's address is only in `service.env`: tests give it to the processes (or, with
monkeypatch, to the test process) that are to use it, and nothing else ever sees it.

`secret-tool` (Debian's libsecret-tools) looks at what Keyfob stored, as a person would.
Without the programs a test is skipped, except under CI, where it fails:
`packaging/setup.sh --test` installs them (gnome-keyring, libsecret-tools, dbus-daemon).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_DEADLINE = 30.0  # seconds for the keyring daemon to make and unlock its collection
KEYRING_PASSWORD = "the test login keyring's password"  # a throw-away keyring
PROGRAMS = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
SERVICE = "Keyfob"

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing_programs() -> list[str]:
    return [name for name in PROGRAMS if shutil.which(name) is None]


def skip_reason() -> str | None:
    """Why a Secret Service cannot be started here, or None."""
    missing = missing_programs()
    if not missing:
        return None
    return (
        f"{', '.join(missing)} missing (Debian: apt-get install gnome-keyring libsecret-tools "
        "dbus-daemon, which packaging/setup.sh --test does)"
    )


def require_programs() -> None:
    """Skip the calling test when the programs are missing; under CI, fail it instead."""
    reason = skip_reason()
    if reason is None:
        return
    import pytest

    from tests.conftest import running_in_ci

    if running_in_ci():
        pytest.fail(f"{reason}; CI must have them", pytrace=False)
    pytest.skip(reason)


@dataclass
class SecretService:
    """A running Secret Service; `env` holds what a process needs to reach it."""

    address: str
    env: dict[str, str]

    def secret_tool(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["secret-tool", *args],
            input=input,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=30,
            check=False,
        )

    def lookup(self, vault_id: str) -> str | None:
        """The secret of Keyfob's item for `vault_id`, or None if there is none."""
        result = self.secret_tool("lookup", "service", SERVICE, "username", vault_id)
        return result.stdout if result.returncode == 0 else None

    def listing(self) -> str:
        """Everything secret-tool shows of Keyfob's items: labels, attributes, secrets."""
        result = self.secret_tool("search", "--all", "--unlock", "service", SERVICE)
        return result.stdout + result.stderr

    def store(self, vault_id: str, text: str) -> None:
        result = self.secret_tool(
            "store",
            "--label=put back by a test",
            "service",
            SERVICE,
            "username",
            vault_id,
            input=text,
        )
        assert result.returncode == 0, result.stderr

    def clear(self, vault_id: str) -> None:
        result = self.secret_tool("clear", "service", SERVICE, "username", vault_id)
        assert result.returncode == 0, result.stderr

    def lock(self) -> None:
        """Lock the login collection, as the desktop does when the screen locks."""
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection

        with contextlib.closing(open_dbus_connection(bus=self.address)) as connection:
            collection = secretstorage.Collection(connection)
            collection.lock()
            assert collection.is_locked()


@contextlib.contextmanager
def running_secret_service() -> Iterator[SecretService]:
    """A private bus and GNOME Keyring with an unlocked default collection, until exit."""
    # Under /tmp with a short name: a unix socket's path is limited to 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="kf-ss-"))
    processes: list[subprocess.Popen[str]] = []
    try:
        runtime = folder / "run"
        home = folder / "home"
        runtime.mkdir(mode=0o700)
        home.mkdir(mode=0o700)
        config = folder / "bus.conf"
        config.write_text(_BUS_CONFIG.format(folder=runtime))
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()  # printed once it listens
        assert address, "dbus-daemon did not start"
        env = {"DBUS_SESSION_BUS_ADDRESS": address}
        daemon_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_RUNTIME_DIR": str(runtime),
            "LANG": "C.UTF-8",
            **env,
        }
        log = (folder / "gnome-keyring.log").open("w")
        keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            env=daemon_env,
            text=True,
        )
        log.close()
        processes.append(keyring)
        assert keyring.stdin is not None
        keyring.stdin.write(KEYRING_PASSWORD)  # read up to the end of input
        keyring.stdin.close()
        _wait_unlocked(address, keyring, folder / "gnome-keyring.log")
        yield SecretService(address, env)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_unlocked(address: str, keyring: subprocess.Popen[str], log: Path) -> None:
    """Poll the bus until the default collection exists and is unlocked (deadline)."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection
    from secretstorage.exceptions import SecretStorageException

    deadline = time.monotonic() + START_DEADLINE
    with contextlib.closing(open_dbus_connection(bus=address)) as connection:
        while True:
            with contextlib.suppress(SecretStorageException):
                if not secretstorage.Collection(connection).is_locked():
                    return
            if keyring.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gnome-keyring-daemon did not start:\n{log.read_text()}")
            time.sleep(0.02)
