"""`keyfob push ...`: the parser, the dispatch, and the commands that stay on this computer
(list, remove).

The enrollments (device key, pinned server key, site, account) live in the vault's `push`
list (app.push.records). This module stays light at import (main.py builds its parser for
every command); the protocol code, aiohttp and the vault load when a push command runs.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from app.cli.confirm import confirm
from app.cli.errors import CliError
from app.cli.output import note, print_json, print_table, printable
from app.cli.push.enrollments import read_enrollments

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.push.enrollment import PushEnrollment
    from app.vault.content import VaultContent

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
        from app.cli.push.enroll import cmd_enroll

        return cmd_enroll(ctx, args.uri, args.name)
    if command == "list":
        return cmd_list(ctx, args.json)
    if command == "remove":
        return cmd_remove(ctx, args.id, args.yes)
    from app.cli.push.network import import_aiohttp

    import_aiohttp()  # before listen imports it: a missing aiohttp is one line saying why
    from app.cli.push.listen import cmd_listen

    return cmd_listen(ctx, args.once)


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


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
    from app.push.records import remove_enrollment

    vault = ctx.open_vault()
    target = _pick(read_enrollments(vault.content), wanted)
    label = f"{printable(target.issuer)}, {printable(target.user)} ({printable(target.device_id)})"
    if not yes and not confirm(f"Forget the push enrollment {label}?"):
        raise CliError("not removed")

    def change(content: VaultContent) -> None:
        if not remove_enrollment(content, target.device_id):
            # Raising inside modify() writes nothing.
            raise CliError("that enrollment was removed meanwhile (by another Keyfob)")

    vault.modify(change)
    print(f"removed: {label}")
    note(
        "keyfob: the site still lists this device until it revokes it; "
        "it gets no more requests here"
    )
    return 0
