"""`keyfob-server duo create|list|revoke` as an administrator runs it, and what the server
does with the integrations and the Duo key file it leaves."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from app.server.app import PushServer
from app.server.config import ServerConfig
from app.server.duo.credentials import DUO_KEY_FILE, DuoKeyError
from tests.server.conftest import FAST
from tests.server.duo.conftest import DuoEnv, call, refused
from tests.server.duo.conftest import Integ as Credentials
from tests.server.helpers import ManualClock
from tests.server.test_cli import one_line_error, run

pytestmark = pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning")


def test_create_list_revoke(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    made = run(
        "duo",
        "create",
        "Example Site",
        "--public-url",
        "https://push.example.com",
        "--data-dir",
        data,
    )
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    ikey = re.fullmatch(r"integration key: (DI[A-Z0-9]{18})", lines[0])
    skey = re.fullmatch(r"secret key: +([A-Za-z0-9]{40})", lines[1])
    assert ikey
    assert skey
    assert lines[2] == "API hostname:    push.example.com"
    assert "shown only once" in made.stderr
    assert skey.group(1) not in made.stderr
    key_file = tmp_path / "data" / DUO_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    as_json = run(
        "duo",
        "create",
        "Example Site",
        "--public-url",
        "https://push.example.com:8443/",
        "--data-dir",
        data,
        "--json",
    )
    assert as_json.returncode == 0, as_json.stderr
    second = json.loads(as_json.stdout)
    assert set(second) == {"ikey", "skey", "api_hostname"}
    assert second["api_hostname"] == "push.example.com:8443"

    listed = run("duo", "list", "--data-dir", data)
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert sorted((row[0], row[1], row[3]) for row in rows) == sorted(
        [
            (ikey.group(1), "Example Site", "active"),
            (second["ikey"], "Example Site", "active"),
        ]
    )
    assert skey.group(1) not in listed.stdout + listed.stderr

    assert run("duo", "revoke", ikey.group(1), "--data-dir", data).returncode == 0
    states = {
        line.split("\t")[0]: line.split("\t")[3]
        for line in run("duo", "list", "--data-dir", data).stdout.splitlines()
    }
    assert states[ikey.group(1)].startswith("revoked ")
    assert states[second["ikey"]] == "active"
    error = one_line_error(run("duo", "revoke", ikey.group(1), "--data-dir", data))
    assert ikey.group(1) in error
    assert "\x1b" not in one_line_error(run("duo", "revoke", "\x1b[31mX", "--data-dir", data))


def test_create_needs_a_public_url_and_a_name(tmp_path: Path) -> None:
    missing = run("duo", "create", "Example Site", "--data-dir", str(tmp_path))
    assert missing.returncode == 2
    assert "--public-url" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run("duo", "create", "", "--public-url", "https://x.example", "--data-dir", str(tmp_path))
    assert bad.returncode == 2


@pytest.mark.asyncio
async def test_the_running_server_uses_what_duo_create_made(duo_env: DuoEnv) -> None:
    made = run(
        "duo",
        "create",
        "Example Site",
        "--public-url",
        duo_env.base_url,
        "--data-dir",
        str(duo_env.data_dir),
        "--json",
    )
    assert made.returncode == 0, made.stderr
    keys = json.loads(made.stdout)
    assert keys["api_hostname"] == f"localhost:{duo_env.port}"
    client = duo_env.client(Credentials(keys["ikey"], keys["skey"], "Example Site"))
    assert "time" in await call(client.check)
    assert run("duo", "revoke", keys["ikey"], "--data-dir", str(duo_env.data_dir)).returncode == 0
    assert (await refused(client.check))["code"] == 40103


@pytest.mark.asyncio
async def test_a_node_without_the_duo_key_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = run(
        "duo",
        "create",
        "Example Site",
        "--public-url",
        "https://push.example.com",
        "--data-dir",
        str(data),
    )
    assert made.returncode == 0, made.stderr
    key_file = data / DUO_KEY_FILE
    kept = tmp_path / "kept-duo-key"
    shutil.move(key_file, kept)

    def server(duo_key: Path | None = None) -> PushServer:
        config = ServerConfig(data_dir=data, port=0, limits=FAST, duo_key=duo_key)
        return PushServer(config, clock=ManualClock())

    with pytest.raises(DuoKeyError, match=r"there is no Duo key at .*copy the Duo key file"):
        await server().start()
    other = tmp_path / "other-duo-key"
    other.write_text("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0NTY=\n")
    os.chmod(other, 0o600)
    with pytest.raises(DuoKeyError, match="is not the one the Duo integrations were sealed with"):
        await server(other).start()
    started = server(kept)
    await started.start()
    await started.stop()

    refused_run = run("run", "--port", "0", "--data-dir", str(data))
    assert "there is no Duo key at" in one_line_error(refused_run)
    # `duo create` makes no second key for a database that already has integrations.
    again = run(
        "duo", "create", "Other", "--public-url", "https://p.example", "--data-dir", str(data)
    )
    assert "there is no Duo key at" in one_line_error(again)
    assert not key_file.exists()
