"""`keyfob push ...` as a user runs it: the installed script in a subprocess, a real vault,
and the real push server on 127.0.0.1 in the test's event loop (with a clock the test moves).

`listen` is driven through a pipe, as its help documents: the number on one line, then a,
d or f on the next.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli.main import run
from app.push.canonical import b64u_encode, new_private_key, public_key_bytes
from app.server.app import PushServer
from app.server.config import Limits, ServerConfig
from app.vault.store import Vault
from tests.cli.conftest import KEYFOB, PASSWORD, Cli, assert_user_error, write_password_file
from tests.cli.terminal import Terminal
from tests.cli.test_cli_secret_arguments import asking
from tests.server.helpers import ManualClock, Rp, make_api_key

CONTEXT = {
    "app": "Webmail",
    "ip": "203.0.113.7",
    "location": "Lyon, France",
    "user_agent": "Firefox on Linux",
}
USER = "alice@example.com"
DEADLINE = 30.0


def _server(data_dir: Path, clock: ManualClock, port: int = 0) -> PushServer:
    limits = Limits(sweep_interval=0.05)
    config = ServerConfig(data_dir=data_dir, host="127.0.0.1", port=port, limits=limits)
    return PushServer(config, clock=clock)


@dataclass
class PushEnv:
    server: PushServer
    clock: ManualClock
    http: aiohttp.ClientSession
    rp: Rp
    cli: Cli
    data_dir: Path
    servers: list[PushServer] = field(default_factory=list)

    async def keyfob(
        self, *args: str, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = await asyncio.create_subprocess_exec(
            KEYFOB,
            *args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.cli.env,
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(None if input is None else input.encode()), DEADLINE
            )
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode is not None
        return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())

    async def enroll(self, uri: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`keyfob push enroll -` with the link on stdin, as the README shows it."""
        return await self.keyfob("push", "enroll", "-", *args, input=f"{uri}\n")

    async def start(self, *args: str) -> Running:
        proc = await asyncio.create_subprocess_exec(
            KEYFOB,
            *args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.cli.env,
            start_new_session=True,
        )
        return Running(proc)

    async def enrolled(self, user: str = USER) -> dict[str, Any]:
        """Enroll this vault through the CLI; the `push list --json` entry."""
        enrollment = await self.rp.enroll(user)
        result = await self.enroll(enrollment["uri"])
        assert result.returncode == 0, result.stderr
        listed = await self.keyfob("push", "list", "--json")
        return next(e for e in json.loads(listed.stdout) if e["user"] == user)

    async def challenge(self, user: str = USER, **extra: object) -> dict[str, Any]:
        reply = await self.rp.challenge(user, action="Sign in", context=CONTEXT, **extra)
        assert reply.status == 201, reply
        return dict(reply.body)


class Running:
    """A `keyfob` process the test talks to while it runs."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.out = ""
        self.err = ""
        self._changed = asyncio.Event()
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._readers = [
            asyncio.create_task(self._pump(proc.stdout, "out")),
            asyncio.create_task(self._pump(proc.stderr, "err")),
        ]

    async def _pump(self, stream: asyncio.StreamReader, name: str) -> None:
        while chunk := await stream.read(4096):
            setattr(self, name, getattr(self, name) + chunk.decode())
            self._changed.set()
        self._changed.set()

    async def shows(self, text: str, *, stream: str = "out", count: int = 1) -> None:
        async with asyncio.timeout(DEADLINE):
            while getattr(self, stream).count(text) < count:
                if all(r.done() for r in self._readers):
                    raise AssertionError(f"exited without showing {text!r}:\n{self.out}{self.err}")
                self._changed.clear()
                await self._changed.wait()

    async def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        await self.proc.stdin.drain()

    async def exit_code(self) -> int:
        async with asyncio.timeout(DEADLINE):
            await asyncio.gather(*self._readers)
            return await self.proc.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


@pytest_asyncio.fixture
async def push(tmp_path: Path, vault_cli: Cli) -> AsyncIterator[PushEnv]:
    clock = ManualClock(time.time())
    data_dir = tmp_path / "server"
    server = _server(data_dir, clock)
    await server.start()
    async with aiohttp.ClientSession() as http:
        rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
        env = PushEnv(server, clock, http, rp, vault_cli, data_dir, [server])
        try:
            yield env
        finally:
            for running in env.servers:
                await running.stop()
    assert all(s.stats.unexpected_errors == 0 for s in env.servers)


def other_number(number: str) -> str:
    return f"{(int(number) + 1) % 100:02d}"


# -- enroll, list, remove ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_enroll_registers_the_device_and_lists_it(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER)
    result = await push.keyfob("push", "enroll", enrollment["uri"], "--name", "CLI laptop")
    assert result.returncode == 0, result.stderr
    assert "enrolled: Example Site, alice@example.com" in result.stdout
    assert f"server:   {push.server.base_url}" in result.stdout

    status = await push.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body["status"] == "completed"
    device_id = status.body["device_id"]
    assert f"device:   {device_id} (CLI laptop)" in result.stdout
    devices = await push.rp.call("GET", "/v1/users/alice%40example.com/devices")
    assert [d["name"] for d in devices.body] == ["CLI laptop"]

    listed = await push.keyfob("push", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert entries == [
        {
            "id": device_id,
            "issuer": "Example Site",
            "user": USER,
            "server": push.server.base_url,
            "name": "CLI laptop",
            "enrolled_at": entries[0]["enrolled_at"],
        }
    ]
    assert abs(entries[0]["enrolled_at"] - time.time()) < 60
    table = await push.keyfob("push", "list")
    assert table.stdout.splitlines()[0].split() == ["ID", "ISSUER", "USER", "SERVER", "ENROLLED"]
    assert device_id in table.stdout
    assert "alice@example.com" in table.stdout
    # The vault keeps the device key, but no listing ever shows it.
    assert "device_key" not in listed.stdout + table.stdout


@pytest.mark.asyncio
async def test_enroll_with_a_link_argument_hides_it_while_it_waits(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER)
    link = enrollment["uri"]
    secret = parse_qs(urlsplit(link).query)["secret"][0]
    terminal = Terminal([KEYFOB, "push", "enroll", link], asking(push.cli))
    try:
        # The server runs in this event loop: the blocking waits go to a thread.
        await asyncio.to_thread(terminal.expect, "Password:")
        command_lines = terminal.group_command_lines()
        assert command_lines, "the waiting keyfob is in its process group"
        assert all(secret.encode() not in line for line in command_lines), command_lines
        terminal.type(PASSWORD + "\n")
        assert await asyncio.to_thread(terminal.wait) == 0, terminal.screen + terminal.stderr
    finally:
        terminal.close()
    assert "enrolled: Example Site, alice@example.com" in terminal.screen
    assert "keyfob push enroll -" in terminal.stderr
    status = await push.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body["status"] == "completed"


@pytest.mark.asyncio
async def test_enroll_with_no_link_asks_for_it_without_showing_it(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER)
    terminal = Terminal([KEYFOB, "push", "enroll"], asking(push.cli))
    try:
        await asyncio.to_thread(terminal.expect, "Enrollment link (not shown):")
        terminal.type(enrollment["uri"] + "\n")
        await asyncio.to_thread(terminal.expect, "Password:")
        terminal.type(PASSWORD + "\n")
        assert await asyncio.to_thread(terminal.wait) == 0, terminal.screen + terminal.stderr
    finally:
        terminal.close()
    assert "keyfob://" not in terminal.screen
    assert "warning" not in terminal.stderr
    status = await push.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body["status"] == "completed"


@pytest.mark.asyncio
async def test_a_used_code_is_refused_and_nothing_is_saved(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER)
    assert (await push.enroll(enrollment["uri"])).returncode == 0
    before = push.cli.vault.read_bytes()
    again = await push.enroll(enrollment["uri"])
    assert_user_error(again, "already been used", "new one")
    assert push.cli.vault.read_bytes() == before


@pytest.mark.asyncio
async def test_an_expired_code_gives_a_clear_error(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER, ttl=60)
    push.clock.advance(61)
    before = push.cli.vault.read_bytes()
    result = await push.enroll(enrollment["uri"])
    assert_user_error(result, "expired", "ask the site for a new one")
    assert push.cli.vault.read_bytes() == before
    status = await push.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body["status"] == "expired"


@pytest.mark.asyncio
async def test_a_wrong_password_does_not_use_up_the_code(push: PushEnv, tmp_path: Path) -> None:
    enrollment = await push.rp.enroll(USER)
    wrong = tmp_path / "wrong-password"
    write_password_file(wrong, "not the password\n")
    result = await push.keyfob("push", "enroll", enrollment["uri"], "--password-file", str(wrong))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    status = await push.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body["status"] == "pending"
    assert (await push.enroll(enrollment["uri"])).returncode == 0


@pytest.mark.asyncio
async def test_a_server_out_of_reach_is_one_line(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER)
    port = push.server.port
    await push.server.stop()
    push.servers.remove(push.server)
    before = push.cli.vault.read_bytes()
    result = await push.enroll(enrollment["uri"])
    assert_user_error(result, "cannot reach the push server", f"127.0.0.1:{port}")
    assert push.cli.vault.read_bytes() == before


@pytest.mark.asyncio
async def test_a_code_not_signed_by_the_pinned_key_is_refused(push: PushEnv) -> None:
    """A link whose server key (spk) is not the server's: its signed answer fails the pin."""
    enrollment = await push.rp.enroll(USER)
    uri = enrollment["uri"]
    spk = uri.split("spk=")[1].split("&")[0]
    forged = b64u_encode(public_key_bytes(new_private_key()))
    before = push.cli.vault.read_bytes()
    result = await push.enroll(uri.replace(spk, forged))
    assert_user_error(result, "not signed by the key in the enrollment code")
    assert push.cli.vault.read_bytes() == before


@pytest.mark.asyncio
async def test_a_second_enrollment_for_the_same_account_is_kept_with_a_note(
    push: PushEnv,
) -> None:
    first = await push.enroll((await push.rp.enroll(USER))["uri"])
    assert first.returncode == 0, first.stderr
    assert "already enrolled" not in first.stderr
    second = await push.enroll((await push.rp.enroll(USER))["uri"])
    assert second.returncode == 0, second.stderr
    assert "already enrolled for that site and account; both enrollments get each request" in (
        second.stderr
    )
    listed = json.loads((await push.keyfob("push", "list", "--json")).stdout)
    assert [e["user"] for e in listed] == [USER, USER]
    assert listed[0]["id"] != listed[1]["id"]


@pytest.mark.asyncio
async def test_an_unreadable_enrollment_is_skipped_with_a_note_and_kept(push: PushEnv) -> None:
    alice = await push.enrolled(USER)
    vault = Vault.open(push.cli.vault, PASSWORD)
    damaged = {"device_id": "d_damaged", "device_key": "not a key", "issuer": "Old Site"}
    vault.modify(lambda content: content.push.insert(0, damaged))

    listed = await push.keyfob("push", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [e["id"] for e in json.loads(listed.stdout)] == [alice["id"]]
    [line] = [line for line in listed.stderr.splitlines() if "unreadable" in line]
    assert line.startswith("keyfob: push enrollment 1 in the vault is unreadable and skipped: ")
    assert "not a key" not in line
    # Removing another enrollment leaves the damaged one as it was.
    removed = await push.keyfob("push", "remove", alice["id"], "--yes")
    assert removed.returncode == 0, removed.stderr
    assert Vault.open(push.cli.vault, PASSWORD).content.push == [damaged]


@pytest.mark.asyncio
async def test_remove_by_prefix_and_its_refusals(push: PushEnv) -> None:
    alice = await push.enrolled(USER)
    bob = await push.enrolled("bob@example.com")
    before = push.cli.vault.read_bytes()

    unknown = await push.keyfob("push", "remove", "d_no-such-device", "--yes")
    assert_user_error(unknown, "no push enrollment has the id")
    shared = await push.keyfob("push", "remove", "d_", "--yes")
    assert_user_error(shared, "starts 2 enrollment ids")
    no_terminal = await push.keyfob("push", "remove", alice["id"])
    assert_user_error(no_terminal, "add --yes")
    assert push.cli.vault.read_bytes() == before

    removed = await push.keyfob("push", "remove", alice["id"][:10], "--yes")
    assert removed.returncode == 0, removed.stderr
    assert f"removed: Example Site, alice@example.com ({alice['id']})" in removed.stdout
    left = json.loads((await push.keyfob("push", "list", "--json")).stdout)
    assert [e["id"] for e in left] == [bob["id"]]


@pytest.mark.asyncio
async def test_a_bad_link_is_one_line_and_asks_for_nothing(push: PushEnv) -> None:
    before = push.cli.vault.read_bytes()
    for uri in (
        "otpauth://totp/x?secret=JBSWY3DP",
        "keyfob://enroll?v=2&url=http%3A%2F%2F127.0.0.1",
        "keyfob://enroll?v=1&url=http%3A%2F%2Fexample.com&eid=e_1&secret=AAAA&spk=AAAA"
        "&issuer=X&user=y",
    ):
        # No password file: a bad link must fail before any password is needed.
        result = await push.keyfob(
            "push", "enroll", uri, "--password-file", "/nonexistent/password"
        )
        assert_user_error(result)
        assert "password" not in result.stderr
    assert push.cli.vault.read_bytes() == before


@pytest.mark.asyncio
async def test_plain_http_is_refused_for_a_remote_server(push: PushEnv) -> None:
    enrollment = await push.rp.enroll(USER)
    uri = enrollment["uri"].replace("127.0.0.1", "push.example.com")
    result = await push.keyfob("push", "enroll", uri)
    assert_user_error(result, "only https")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    text=st.one_of(
        st.text(max_size=120),
        st.builds(lambda q: "keyfob://enroll?" + q, st.text(max_size=120)),
        st.builds(
            lambda url, eid: (
                f"keyfob://enroll?v=1&url={url}&eid={eid}&secret=x&spk=y&issuer=I&user=u"
            ),
            st.text(max_size=30),
            st.text(max_size=10),
        ),
    )
)
def test_any_link_text_gives_one_line_and_changes_nothing(
    vault_cli: Cli, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = vault_cli.vault.read_bytes()
    code = run(["--vault", str(vault_cli.vault), "push", "enroll", "--", text])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert out == ""
    assert vault_cli.vault.read_bytes() == before


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    action=st.sampled_from(["enroll", "list", "remove", "listen", "", "nope"]),
    extra=st.lists(
        st.one_of(st.sampled_from(["--json", "--yes", "--once", "--name", "-"]), st.text()),
        max_size=3,
    ),
)
def test_any_push_arguments_give_an_exit_code_and_change_nothing(
    vault_cli: Cli, action: str, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = vault_cli.vault.read_bytes()
    argv = ["--vault", str(vault_cli.vault), "--password-file", str(vault_cli.password_file)]
    code = run([*argv, "push", action, *extra])
    _, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    if code == 1:
        assert len(err.strip().splitlines()) == 1, err
    assert vault_cli.vault.read_bytes() == before


# -- listen ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_listen_answers_a_waiting_request_with_the_number(push: PushEnv) -> None:
    entry = await push.enrolled()
    created = await push.challenge()
    # The request was made while no Keyfob was connected: it arrives at the next `ready`.
    poll = asyncio.create_task(push.rp.status(created["id"], wait=30))
    result = await push.keyfob("push", "listen", "--once", input=f"{created['number']}\na\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"sign-in request {created['id']}" in out
    for shown in (
        "site:     Example Site",
        "account:  alice@example.com",
        "action:   Sign in",
        "app:      Webmail",
        "location: Lyon, France",
        "ip:       203.0.113.7",
        "browser:  Firefox on Linux",
        "s left)",
        "number shown on the sign-in page (two digits): ",
    ):
        assert shown in out
    # The number is never sent to the device, so nothing before the question shows one.
    assert "number" not in out.split("number shown")[0].lower()
    assert f"result {created['id']}: approved" in out
    final = await asyncio.wait_for(poll, DEADLINE)
    assert final["status"] == "approved"
    assert final["device_id"] == entry["id"]


@pytest.mark.asyncio
async def test_listen_gets_a_live_request_and_the_long_poll_returns_approved(
    push: PushEnv,
) -> None:
    await push.enrolled()
    listening = await push.start("push", "listen", "--once")
    try:
        await listening.shows("connected to", stream="err")
        created = await push.challenge()
        poll = asyncio.create_task(push.rp.status(created["id"], wait=30))
        await listening.shows("number shown on the sign-in page (two digits): ")
        await listening.type("4x\n")  # not two digits: asked again, nothing sent
        await listening.shows("number shown on the sign-in page (two digits): ", count=2)
        assert (await push.rp.status(created["id"]))["status"] == "pending"
        await listening.type(f"{created['number']}\n")
        await listening.shows("[a/d/f]: ")
        assert not poll.done()
        await listening.type("approve\n")
        assert await listening.exit_code() == 0
        assert (await asyncio.wait_for(poll, DEADLINE))["status"] == "approved"
        assert f"result {created['id']}: approved (the sign-in goes ahead)" in listening.out
    finally:
        await listening.stop()


@pytest.mark.asyncio
async def test_listen_deny(push: PushEnv) -> None:
    await push.enrolled()
    created = await push.challenge()
    result = await push.keyfob("push", "listen", "--once", input="\nd\n")
    assert result.returncode == 0, result.stderr
    assert 'deny, or fraud ("it wasn\'t me")? [d/f]: ' in result.stdout
    assert f"result {created['id']}: denied" in result.stdout
    assert (await push.rp.status(created["id"]))["status"] == "denied"
    again = await push.rp.challenge(USER)
    assert again.status == 429
    assert again.body["error"] == "backoff"


@pytest.mark.asyncio
async def test_listen_fraud_blocks_the_next_request(push: PushEnv) -> None:
    await push.enrolled()
    created = await push.challenge()
    result = await push.keyfob("push", "listen", "--once", input=f"{created['number']}\nf\n")
    assert result.returncode == 0, result.stderr
    assert f"result {created['id']}: fraud" in result.stdout
    assert (await push.rp.status(created["id"]))["status"] == "fraud"
    blocked = await push.rp.challenge(USER)
    assert blocked.status == 423


@pytest.mark.asyncio
async def test_listen_wrong_number_ends_the_request(push: PushEnv) -> None:
    await push.enrolled()
    created = await push.challenge()
    wrong = other_number(created["number"])
    result = await push.keyfob("push", "listen", "--once", input=f"{wrong}\na\n")
    assert result.returncode == 0, result.stderr
    assert f"result {created['id']}: wrong_number" in result.stdout
    assert (await push.rp.status(created["id"]))["status"] == "wrong_number"


@pytest.mark.asyncio
async def test_listen_without_number_matching_asks_only_the_decision(push: PushEnv) -> None:
    await push.enrolled()
    created = await push.challenge(number_matching=False)
    result = await push.keyfob("push", "listen", "--once", input="a\n")
    assert result.returncode == 0, result.stderr
    assert "number shown" not in result.stdout
    assert f"result {created['id']}: approved" in result.stdout


@pytest.mark.asyncio
async def test_listen_shows_a_request_the_site_withdraws(push: PushEnv) -> None:
    await push.enrolled()
    listening = await push.start("push", "listen", "--once")
    try:
        created = await push.challenge()
        await listening.shows("number shown on the sign-in page (two digits): ")
        cancelled = await push.rp.call("DELETE", f"/v1/challenges/{created['id']}")
        assert cancelled.status == 200
        assert await listening.exit_code() == 0
        assert f"result {created['id']}: cancelled (the site withdrew the request)" in (
            listening.out
        )
    finally:
        await listening.stop()


@pytest.mark.asyncio
async def test_listen_with_stdin_closed_sends_nothing(push: PushEnv) -> None:
    await push.enrolled()
    created = await push.challenge()
    result = await push.keyfob("push", "listen", "--once", input="")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == "keyfob: stdin closed before the sign-in request was answered; nothing was sent"
    assert (await push.rp.status(created["id"]))["status"] == "pending"


@pytest.mark.asyncio
async def test_listen_without_enrollments_says_how_to_enroll(push: PushEnv) -> None:
    result = await push.keyfob("push", "listen", "--once")
    assert_user_error(result, "keyfob push enroll")


@pytest.mark.asyncio
async def test_listen_stops_when_the_site_revokes_the_device(push: PushEnv) -> None:
    entry = await push.enrolled()
    listening = await push.start("push", "listen")
    try:
        await listening.shows("connected to", stream="err")
        revoked = await push.rp.call("DELETE", f"/v1/devices/{entry['id']}")
        assert revoked.status == 200
        assert await listening.exit_code() == 1
        assert f"keyfob push remove {entry['id']}" in listening.err
        assert listening.err.strip().splitlines()[-1].startswith("keyfob: every push enrollment")
    finally:
        await listening.stop()


@pytest.mark.asyncio
async def test_listen_reconnects_after_a_server_restart(push: PushEnv) -> None:
    await push.enrolled()
    listening = await push.start("push", "listen", "--once")
    try:
        await listening.shows("connected to", stream="err")
        port = push.server.port
        assert port is not None
        await push.server.stop()
        await listening.shows("reconnecting in", stream="err")
        restarted = _server(push.data_dir, push.clock, port)
        await restarted.start()
        push.servers.append(restarted)
        push.rp.base_url = restarted.base_url
        await listening.shows("connected to", stream="err", count=2)
        created = await push.challenge()
        await listening.shows("number shown on the sign-in page (two digits): ")
        await listening.type(f"{created['number']}\na\n")
        assert await listening.exit_code() == 0
        assert (await push.rp.status(created["id"]))["status"] == "approved"
    finally:
        await listening.stop()


@pytest.mark.asyncio
async def test_server_text_never_drives_the_terminal(push: PushEnv) -> None:
    """A site's name comes from the push server. Control characters are refused in the
    enrollment link, but bidi overrides (which make text read backwards) get through: they
    reach the terminal as "?", and --json keeps the name exact."""
    hostile_site = "Evil\u202eetiS\u2066x\u2069 \u200fBank"
    push.rp = Rp(push.http, push.server.base_url, await make_api_key(push.server, hostile_site))
    enrollment = await push.rp.enroll(USER)
    enrolled = await push.enroll(enrollment["uri"])
    assert enrolled.returncode == 0, enrolled.stderr
    listed = await push.keyfob("push", "list")
    as_json = await push.keyfob("push", "list", "--json")
    created = await push.rp.challenge(USER, action="Sign in")
    assert created.status == 201, created
    listened = await push.keyfob("push", "listen", "--once", input=f"{created.body['number']}\nd\n")
    for result in (enrolled, listed, as_json, listened):
        assert result.returncode == 0, result.stderr
        for char in ("\u202e", "\u2066", "\u2069", "\u200f"):
            assert char not in result.stdout + result.stderr, (char, result)
    shown = "Evil?etiS?x? ?Bank"
    assert f"enrolled: {shown}, {USER}" in enrolled.stdout
    assert shown in listed.stdout
    assert f"site:     {shown}" in listened.stdout
    (entry,) = json.loads(as_json.stdout)
    assert entry["issuer"] == hostile_site
