"""`keyfob push enroll`: register this computer with a site's push server from its link.

The link carries a one-time secret, so it comes from stdin or a hidden prompt; one given as
an argument anyway leaves the command line before the password is asked. The password comes
before the registration: a wrong one must not burn the single-use code.
"""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING

from app.cli.errors import CliError
from app.cli.output import has_unsafe, note, printable
from app.cli.push.enrollments import read_enrollments
from app.cli.push.network import import_aiohttp, network_error
from app.cli.secret_args import STDIN, global_options, move_off_command_line, uri_lines

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.push.enrollment import EnrollmentUri, PushEnrollment, Registration
    from app.vault.content import VaultContent
    from app.vault.store import Vault

HTTP_TIMEOUT = 20.0


def _device_name(name: str | None) -> str:
    if name is not None:
        if not 1 <= len(name) <= 200 or has_unsafe(name):
            raise CliError("--name must be 1-200 characters without control characters")
        return name
    host = printable(socket.gethostname()) or "computer"
    return f"Keyfob on {host}"[:200]


def _refusal(status: int, body: str, headers: dict[str, str], uri: EnrollmentUri) -> CliError:
    """The server's refusal of a registration, in words saying what to do."""
    try:
        code = str(json.loads(body).get("error", ""))
    except (ValueError, AttributeError):
        code = ""
    server = printable(uri.url)
    messages = {
        404: "the push server does not know this enrollment code: ask the site for a new one",
        401: "the push server refused this enrollment code (wrong secret or signature): "
        "ask the site for a new one",
        409: "this enrollment code has already been used: ask the site for a new one",
        410: "this enrollment code has expired: ask the site for a new one",
    }
    if status in messages:
        return CliError(messages[status] + "; nothing was saved")
    if status == 429:
        wait = headers.get("Retry-After", "")
        later = f"in {wait} s" if wait.isdigit() else "later"
        return CliError(f"too many enrollments from this address: try again {later}")
    detail = f" ({printable(code)[:60]})" if code else ""
    return CliError(
        f"the push server at {server} answered HTTP {status}{detail}; nothing was saved"
    )


async def _post_registration(registration: Registration) -> tuple[int, str, dict[str, str]]:
    aiohttp = import_aiohttp()
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(registration.url, json=registration.body, allow_redirects=False) as response,
    ):
        text = await response.text(errors="replace")
        return response.status, text, dict(response.headers)


def cmd_enroll(ctx: Context, uri_arg: str | None, name: str | None) -> int:
    import asyncio  # here, not at the top: the parser is built for every keyfob command

    from app.push.enrollment import finish_registration, parse_enroll_uri, start_registration

    given = [] if uri_arg is None else [uri_arg]
    lines = [line.strip() for line in uri_lines(given, "Enrollment link") if line.strip()]
    if len(lines) != 1:
        raise CliError(
            "give one keyfob://enroll link: pipe it into `keyfob push enroll -`, or run "
            "`keyfob push enroll` on a terminal and paste it"
        )
    uri = parse_enroll_uri(lines[0])  # a bad link fails before any password or network use
    device_name = _device_name(name)
    aiohttp = import_aiohttp()
    # Before the password is asked (the wait), the link's secret leaves the arguments.
    again = [*global_options(ctx.vault_option, ctx.password_file), "push", "enroll", STDIN]
    again += [] if name is None else ["--name", name]
    move_off_command_line(given, again, "keyfob push enroll -")
    # The password first: a wrong one must not burn the single-use enrollment code.
    vault = ctx.open_vault()
    registration = start_registration(uri, device_name, int(time.time()))
    try:
        status, body, headers = asyncio.run(_post_registration(registration))
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise network_error(uri.url, error) from None
    if status not in (200, 201):
        raise _refusal(status, body, headers, uri)
    enrollment = finish_registration(registration, body, int(time.time()))
    _save(vault, enrollment)
    print(f"enrolled: {printable(enrollment.issuer)}, {printable(enrollment.user)}")
    print(f"server:   {printable(enrollment.url)}")
    print(f"device:   {printable(enrollment.device_id)} ({printable(enrollment.name)})")
    note("keyfob: run `keyfob push listen` (or the Keyfob app) to receive sign-in requests")
    return 0


def _save(vault: Vault, enrollment: PushEnrollment) -> None:
    from app.push.records import add_enrollment

    def change(content: VaultContent) -> bool:
        read_enrollments(content)  # notes the unreadable ones, as every push command does
        return add_enrollment(content, enrollment)

    if vault.modify(change):
        note(
            "keyfob: this vault was already enrolled for that site and account; "
            "both enrollments get each request"
        )
