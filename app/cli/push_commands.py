"""`keyfob push ...`: enroll this computer for push sign-in approvals, list, remove, listen.

The enrollments (device key, pinned server key, site, account) live in the vault's `push`
list. HTTP and websockets go through aiohttp, which comes with the `server` extra; it is
imported only when a command needs the network, so the rest of the CLI works without it.
This module stays light at import (main.py builds its parser for every command); the
protocol code and the vault load when a push command runs.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from app.cli.errors import CliError
from app.cli.output import has_unsafe, note, print_json, print_table, printable
from app.cli.push_enrollments import read_enrollments
from app.cli.secret_args import STDIN, global_options, move_off_command_line, uri_lines

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.push.enrollment import EnrollmentUri, PushEnrollment, Registration
    from app.vault.content import VaultContent
    from app.vault.store import Vault

HTTP_TIMEOUT: Final = 20.0

LISTEN_HELP: Final = """\
Each sign-in request is printed as a block (site, account, action, context, time left),
then answered from stdin, one line per question:
  "number shown on the sign-in page (two digits): "  asked only with number matching;
      type the two digits, or an empty line if you see no number (then only deny/fraud)
  "approve, deny, or fraud ("it wasn't me")? [a/d/f]: "  a, d or f (or the words)
The outcome is printed as "result ID: STATUS" (approved, denied, fraud, wrong_number,
expired, cancelled). Connection news goes to stderr.
"""


def add_push_parser(push: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """The `push` subcommands, under the `push` parser main.py made."""
    actions = push.add_subparsers(dest="push_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str, **extra: Any) -> argparse.ArgumentParser:
        return actions.add_parser(
            name, help=help_text, description=help_text, parents=[common], **extra
        )

    enroll = action("enroll", "register this computer with a site's push server")
    enroll.add_argument(
        "uri",
        nargs="?",
        metavar="URI",
        help="- reads the keyfob://enroll?... link the site shows from stdin; without it, a "
        "terminal asks for it without showing it (a link given here is visible to other users "
        "while the command runs)",
    )
    enroll.add_argument(
        "--name", metavar="NAME", help="this device's name as the site lists it (default: host)"
    )
    listing = action("list", "list the push enrollments (never their keys)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    remove = action("remove", "forget one push enrollment (the site still lists the device)")
    remove.add_argument("id", metavar="ID", help="its id from `keyfob push list`, or a prefix")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    listen = action(
        "listen",
        "wait for sign-in requests and answer them from the terminal",
        epilog=LISTEN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listen.add_argument(
        "--once", action="store_true", help="exit once the first request is decided"
    )


def run_push(ctx: Context, args: argparse.Namespace) -> int:
    command: str = args.push_command
    if command == "enroll":
        return cmd_enroll(ctx, args.uri, args.name)
    if command == "list":
        return cmd_list(ctx, args.json)
    if command == "remove":
        return cmd_remove(ctx, args.id, args.yes)
    import_aiohttp()
    from app.cli.push_listen import cmd_listen

    return cmd_listen(ctx, args.once)


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


# -- enroll ---------------------------------------------------------------------------------


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


def import_aiohttp() -> Any:
    """aiohttp, or an error saying how to install it (it comes with keyfob[server])."""
    try:
        import aiohttp
    except ImportError:
        raise CliError(
            "push needs the aiohttp package: install it with pip install 'keyfob[server]'"
        ) from None
    return aiohttp


def network_error(url: str, error: BaseException) -> CliError:
    if isinstance(error, TimeoutError):
        reason = "no answer in time"
    else:
        reason = printable(str(error).splitlines()[0] if str(error) else type(error).__name__)
    return CliError(f"cannot reach the push server at {printable(url)}: {reason[:200]}")


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
    def change(content: VaultContent) -> bool:
        same = any(
            e.url == enrollment.url and e.issuer == enrollment.issuer and e.user == enrollment.user
            for e in read_enrollments(content)
        )
        content.push.append(enrollment.to_dict())
        return same

    if vault.modify(change):
        note(
            "keyfob: this vault was already enrolled for that site and account; "
            "both enrollments get each request"
        )


# -- list and remove ------------------------------------------------------------------------


def _entry(enrollment: PushEnrollment) -> dict[str, object]:
    return {
        "id": enrollment.device_id,
        "issuer": enrollment.issuer,
        "user": enrollment.user,
        "server": enrollment.url,
        "name": enrollment.name,
        "enrolled_at": enrollment.enrolled_at,
    }


def cmd_list(ctx: Context, as_json: bool) -> int:
    enrollments = read_enrollments(ctx.open_vault().content)
    if as_json:
        print_json([_entry(e) for e in enrollments])
        return 0
    if not enrollments:
        note("No push enrollments yet: add one with `keyfob push enroll URI`.")
        return 0
    rows = [
        # print_table makes every cell printable: these come from the server.
        [e.device_id, e.issuer, e.user, e.url, _when(e.enrolled_at)]
        for e in enrollments
    ]
    print_table(rows, ["ID", "ISSUER", "USER", "SERVER", "ENROLLED"])
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise CliError("cannot ask for confirmation without a terminal: add --yes")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _pick(enrollments: list[PushEnrollment], wanted: str) -> PushEnrollment:
    exact = [e for e in enrollments if e.device_id == wanted]
    found = exact or [e for e in enrollments if wanted and e.device_id.startswith(wanted)]
    if not found:
        raise CliError(
            f"no push enrollment has the id {printable(wanted)!r}: see `keyfob push list`"
        )
    if len(found) > 1:
        ids = ", ".join(e.device_id for e in found[:5])
        raise CliError(
            f"{printable(wanted)!r} starts {len(found)} enrollment ids ({ids}): give more"
        )
    return found[0]


def cmd_remove(ctx: Context, wanted: str, yes: bool) -> int:
    vault = ctx.open_vault()
    target = _pick(read_enrollments(vault.content), wanted)
    label = f"{printable(target.issuer)}, {printable(target.user)} ({printable(target.device_id)})"
    if not yes and not _confirm(f"Forget the push enrollment {label}?"):
        raise CliError("not removed")

    def change(content: VaultContent) -> None:
        kept = [p for p in content.push if p.get("device_id") != target.device_id]
        if len(kept) == len(content.push):
            # Raising inside modify() writes nothing.
            raise CliError("that enrollment was removed meanwhile (by another Keyfob)")
        content.push[:] = kept

    vault.modify(change)
    print(f"removed: {label}")
    note(
        "keyfob: the site still lists this device until it revokes it; "
        "it gets no more requests here"
    )
    return 0
