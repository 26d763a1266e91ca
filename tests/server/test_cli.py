"""`keyfob-server` as a user runs it: a real process, its output and exit codes."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

SERVER = [sys.executable, "-m", "app.server"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SERVER, *args], capture_output=True, text=True, timeout=60, check=False)


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("keyfob-server: error: ")]
    assert errors == lines[-1:], result.stderr  # log lines may come first; one error, last
    return errors[0]


def test_apikey_create_list_revoke(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    created = run("apikey", "create", "Example Site", "--data-dir", data)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert re.fullmatch(r"kf_[A-Za-z0-9_-]{43}", key)
    assert key not in created.stderr
    second = run("apikey", "create", "Example Site", "--data-dir", data).stdout.strip()
    assert second != key

    listed = run("apikey", "list", "--data-dir", data)
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert len(rows) == 2
    assert all(row[1] == "Example Site" and row[3] == "active" for row in rows)
    assert key not in listed.stdout

    key_id = rows[0][0]
    assert run("apikey", "revoke", key_id, "--data-dir", data).returncode == 0
    listed = run("apikey", "list", "--data-dir", data).stdout
    assert sum("revoked" in line for line in listed.splitlines()) == 1
    error = one_line_error(run("apikey", "revoke", key_id, "--data-dir", data))
    assert key_id in error


def test_apikey_revoke_on_postgresql_happens_once(pg_database: str) -> None:
    """On a shared database as on SQLite: revoked by the key itself, then refused again."""
    created = run("apikey", "create", "Example Site", "--database", pg_database)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    key_id = run("apikey", "list", "--database", pg_database).stdout.split("\t")[0]

    assert run("apikey", "revoke", key, "--database", pg_database).returncode == 0
    listed = run("apikey", "list", "--database", pg_database).stdout.strip().split("\t")
    assert listed[0] == key_id
    assert listed[3].startswith("revoked ")
    error = one_line_error(run("apikey", "revoke", key_id, "--database", pg_database))
    assert key_id in error


def test_empty_key_list_says_how_to_make_one(tmp_path: Path) -> None:
    listed = run("apikey", "list", "--data-dir", str(tmp_path))
    assert listed.returncode == 0
    assert listed.stdout == ""
    assert "apikey create" in listed.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["apikey"],
        ["apikey", "create"],
        ["apikey", "create", ""],
        ["run", "--port", "http"],
        ["run", "--port", "70000"],
        ["run", "--public-url", "ftp://example.com"],
        ["run", "--log-level", "loud"],
        ["run", "--database", "mysql://db/keyfob"],
        ["run", "--database", "postgresql://db:port/keyfob"],
        ["run", "--metrics-listen", "9765"],
        ["run", "--metrics-listen", "127.0.0.1:http"],
        ["run", "--metrics-listen", "127.0.0.1:0"],
        ["apikey", "list", "--database", "sqlite:"],
        ["migrate", "--database", "keyfob"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_a_data_folder_that_is_a_file_is_one_line_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(run("apikey", "list", "--data-dir", str(blocker)))
    one_line_error(run("run", "--port", "0", "--data-dir", str(blocker)))


def test_tls_needs_both_files(tmp_path: Path) -> None:
    error = one_line_error(
        run("run", "--port", "0", "--data-dir", str(tmp_path), "--tls-cert", "x.pem")
    )
    assert "--tls-key" in error


class Running:
    """`keyfob-server run` in the background, its stderr read line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([*SERVER, "run", *args], stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str) -> re.Match[str]:
        while True:
            line = self.lines.get(timeout=20)
            found = re.search(pattern, line)
            if found:
                return found

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        self._pump_thread.join(timeout=20)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code


def test_run_serves_until_sigterm(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    key = run("apikey", "create", "Example Site", "--data-dir", data).stdout.strip()
    server = Running("--port", "0", "--data-dir", data, "--public-url", "https://push.example.com/")
    try:
        started = server.wait_for(r"listening on (http://127\.0\.0\.1:\d+) \(public URL (\S+),")
        base, public = started.group(1), started.group(2)
        assert public == "https://push.example.com"
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            assert json.load(response) == {"status": "ok"}
        request = urllib.request.Request(
            base + "/v1/enrollments",
            data=json.dumps({"user": "alice"}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            uri = json.load(response)["uri"]
        assert "url=https%3A%2F%2Fpush.example.com&" in uri
    finally:
        code = server.stop()
    assert code == 0
    log = "".join(server.log)
    assert "Traceback" not in log
    assert key not in log


def test_a_port_in_use_is_one_line_exit_1(tmp_path: Path) -> None:
    first = Running("--port", "0", "--data-dir", str(tmp_path / "a"))
    try:
        port = first.wait_for(r"listening on http://127\.0\.0\.1:(\d+)").group(1)
        error = one_line_error(run("run", "--port", port, "--data-dir", str(tmp_path / "b")))
        assert error.endswith(f"cannot listen on 127.0.0.1:{port}: address already in use")
    finally:
        assert first.stop() == 0


def test_run_on_an_sqlite_file_named_by_url(tmp_path: Path) -> None:
    state = tmp_path / "state" / "push.sqlite3"
    state.parent.mkdir()
    url = f"sqlite:///{state}"
    key = run("apikey", "create", "Example Site", "--database", url).stdout.strip()
    server = Running("--port", "0", "--data-dir", str(tmp_path / "data"), "--database", url)
    try:
        found = server.wait_for(r"listening on (http://127\.0\.0\.1:\d+) .*SQLite (\S+),")
        assert found.group(2) == str(state)
        request = urllib.request.Request(
            found.group(1) + "/v1/users/alice/devices",
            headers={"Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # the key is in that file
            assert json.load(response) == []
        with urllib.request.urlopen(found.group(1) + "/readyz", timeout=10) as response:
            assert json.load(response)["status"] == "ready"
    finally:
        assert server.stop() == 0
    assert not (tmp_path / "data" / "keyfob-server.sqlite3").exists()
