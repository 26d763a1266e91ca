"""The command line: argument parsing, dispatch, and errors turned into messages.

Exit codes: 0 success; 1 an error (bad input, wrong password, no match, no vault); 2 usage.
An error is one line on stderr, whatever the arguments held; a KeyfobError never shows a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from app import __version__
from app.cli.output import printable
from app.core.errors import KeyfobError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, whose errors quote arguments: they are made printable like every message
    (undecodable bytes, escape sequences). Subcommand parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {printable(message)}\n")


def path_argument(text: str) -> str:
    """A path or file name as given, refused (a usage error) when no file could have it.

    Empty would quietly mean "the default" or the current folder; a NUL byte ends a path
    for the system (a shell cannot pass one, but a program calling `run` can)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path names no file")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a path cannot hold a NUL byte")
    return text


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Accepted before or after the command; SUPPRESS keeps a later default from hiding an
    # earlier value.
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--vault",
        metavar="PATH",
        type=path_argument,
        default=default,
        help="the vault file (default: $KEYFOB_VAULT, else the per-user data folder)",
    )
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        type=path_argument,
        default=default,
        help="read the password from the first line of FILE (default: $KEYFOB_PASSWORD_FILE, "
        "else ask)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keyfob",
        description="Keyfob: two-factor codes from an encrypted vault.",
        epilog="Examples: keyfob init; keyfob scan qr.png | keyfob add -; keyfob code github",
    )
    parser.add_argument("--version", action="version", version=f"keyfob {__version__}")
    _global_options(parser, top=True)
    common = _Parser(add_help=False)
    _global_options(common, top=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, parents=[common])

    command("init", "create a new vault (refuses if one exists)")
    add = command("add", "add accounts from otpauth:// or otpauth-migration:// URIs")
    add.add_argument(
        "uris",
        nargs="*",
        metavar="URI",
        help="- reads URIs from stdin, one a line; with none, a terminal asks for one without "
        "showing it (a URI given here is visible to other users while the command runs)",
    )
    listing = command("list", "list the accounts (never their secrets)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    code = command("code", "show the codes of the accounts matching QUERY")
    code.add_argument("query", nargs="?", metavar="QUERY", help="part of the issuer or name")
    code.add_argument("--json", action="store_true", help="print a JSON array")
    code.add_argument("--at", type=int, metavar="UNIX_SECONDS", help="the codes at this time")
    remove = command("remove", "remove the one account matching QUERY")
    remove.add_argument("query", metavar="QUERY", help="part of the issuer or name, or the id")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    passwd = command("passwd", "change the vault's password")
    passwd.add_argument(
        "--new-password-file", metavar="FILE", type=path_argument, help="read the new password"
    )
    passwd.add_argument(
        "--old-backups",
        choices=("reencrypt", "delete", "keep"),
        help="what to do with the backups the old password opens (default: ask on a terminal, "
        "else keep them and say so)",
    )
    command("backups", "list the rotating backups")
    restore = command("restore", "restore a backup (the current vault is backed up first)")
    restore.add_argument(
        "backup", metavar="BACKUP", type=path_argument, help="a name from `keyfob backups`"
    )
    merge = command("merge", "merge a Keyfob vault file, conflict copy or export into the vault")
    merge.add_argument("file", metavar="FILE", type=path_argument)
    merge.add_argument(
        "--source-password-file",
        metavar="FILE",
        type=path_argument,
        help="FILE's password, on the first line (needed when it differs from the vault's; "
        "default: ask)",
    )
    scan = command("scan", "print the text of every QR code in the images (no vault needed)")
    scan.add_argument("images", nargs="+", metavar="IMAGE", type=path_argument)
    scan.add_argument("--json", action="store_true", help="print a JSON array")
    _transfer_commands(command)
    from app.cli.push.commands import add_push_parser

    add_push_parser(command("push", "approve sign-ins from a site's push server"), common)
    from app.cli.quick_unlock import add_quick_unlock_parser

    add_quick_unlock_parser(
        command(
            "quick-unlock",
            "let the system keyring open the vault for some days after the password "
            "(export and passwd still ask for it)",
        ),
        common,
    )
    from app.cli.desktop_commands import add_desktop_parser

    add_desktop_parser(command("desktop", "add Keyfob to the menu and as the handler of links"))
    return parser


def _transfer_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    imports = command("import", "add the accounts of other apps' export files (format detected)")
    imports.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        type=path_argument,
        help="export files; the QR images of one Google Authenticator export are read together",
    )
    imports.add_argument(
        "--from",
        dest="source_format",
        metavar="FORMAT",
        help="the app the files come from, when the file does not say (see --list-formats)",
    )
    imports.add_argument(
        "--source-password-file",
        metavar="FILE",
        type=path_argument,
        help="the password of encrypted files, on the first line of FILE (default: ask)",
    )
    imports.add_argument("--dry-run", action="store_true", help="show what would happen only")
    imports.add_argument("--json", action="store_true", help="print a JSON summary")
    imports.add_argument(
        "--list-formats", action="store_true", help="list the formats Keyfob reads and writes"
    )
    exports = command("export", "write every account in another app's format, or Keyfob's")
    exports.add_argument(
        "--format",
        required=True,
        metavar="FORMAT",
        help="keyfob, aegis (both encrypted), aegis-plain, otpauth, googleauth, html",
    )
    exports.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        type=path_argument,
        help="a new file (a folder for googleauth)",
    )
    exports.add_argument(
        "--export-password-file",
        metavar="FILE",
        type=path_argument,
        help="the export's password, on the first line of FILE (default: ask twice)",
    )
    exports.add_argument(
        "--yes-plaintext",
        action="store_true",
        help="agree to write secrets unencrypted (aegis-plain, otpauth, googleauth, html)",
    )


def _dispatch(args: argparse.Namespace) -> int:
    from app.cli.context import Context

    ctx = Context(vault_option=args.vault, password_file=args.password_file)
    handlers: dict[str, Callable[[], int]] = {}
    if args.command in {"init", "passwd", "backups", "restore"}:
        from app.cli import vault_commands as v

        handlers = {
            "init": lambda: v.cmd_init(ctx),
            "passwd": lambda: v.cmd_passwd(ctx, args.new_password_file, args.old_backups),
            "backups": lambda: v.cmd_backups(ctx),
            "restore": lambda: v.cmd_restore(ctx, args.backup),
        }
    elif args.command in {"import", "export"}:
        from app.cli import transfer as t

        handlers = {
            "import": lambda: t.cmd_import(
                ctx,
                args.files,
                format_name=args.source_format,
                source_password_file=args.source_password_file,
                dry_run=args.dry_run,
                as_json=args.json,
                list_formats=args.list_formats,
            ),
            "export": lambda: t.cmd_export(
                ctx,
                args.format,
                args.out,
                export_password_file=args.export_password_file,
                yes_plaintext=args.yes_plaintext,
            ),
        }
    elif args.command == "push":
        from app.cli.push.commands import run_push

        handlers = {"push": lambda: run_push(ctx, args)}
    elif args.command == "quick-unlock":
        from app.cli.quick_unlock import run_quick_unlock

        handlers = {"quick-unlock": lambda: run_quick_unlock(ctx, args)}
    elif args.command == "desktop":
        from app.cli.desktop_commands import cmd_desktop

        handlers = {
            "desktop": lambda: cmd_desktop(
                args.desktop_action, getattr(args, "autostart", None), args.vault
            )
        }
    elif args.command == "merge":
        from app.cli.merge_command import cmd_merge

        handlers = {"merge": lambda: cmd_merge(ctx, args.file, args.source_password_file)}
    elif args.command == "scan":
        from app.cli.scan import cmd_scan

        handlers = {"scan": lambda: cmd_scan(args.images, args.json)}
    else:
        from app.cli import accounts as a

        handlers = {
            "add": lambda: a.cmd_add(ctx, args.uris),
            "list": lambda: a.cmd_list(ctx, args.json),
            "code": lambda: a.cmd_code(ctx, args.query, args.json, args.at),
            "remove": lambda: a.cmd_remove(ctx, args.query, args.yes),
        }
    if args.command in {"scan", "desktop"}:  # no vault involved
        return handlers[args.command]()
    from app.cli.extra_copy import copied_after_changes

    # Whatever command changed the vault, the extra backup folder set in the desktop app's
    # Settings gets a copy, as the app makes one after each change.
    with copied_after_changes(ctx.vault_path):
        try:
            return handlers[args.command]()
        finally:
            ctx.say_conflict_news()  # the copies its saves took in (before any error line)


def run(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help/--version (0) or a usage error (2)
        return int(stop.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    return _guarded(args)


def _guarded(args: argparse.Namespace) -> int:
    """Run the command; turn errors into one line on stderr and an exit code."""
    try:
        return _dispatch(args)
    except KeyfobError as error:
        _say(str(error))
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`keyfob list | head`): not an error worth a message. Point
        # stdout at /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:
        # Disk full, permission denied, ...: the system's words, without a traceback.
        where = f": {error.filename}" if error.filename else ""
        _say(f"{error.strerror or error}{where}")
        return EXIT_ERROR
    except ValueError as error:
        # The os functions refuse a path holding a NUL byte with a bare ValueError. The
        # parser refuses such arguments, but a name can reach a path by other ways too.
        if "null" not in str(error):
            raise
        _say("a file name holds a NUL byte, which no file can have")
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("keyfob: interrupted", file=sys.stderr)
        return 130


def _say(message: str) -> None:
    """One line on stderr: the message may quote a name, a path or a server's words."""
    print(f"keyfob: {printable(message)}", file=sys.stderr)
