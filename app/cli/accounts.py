"""Account commands: add, list, code, remove."""

from __future__ import annotations

from collections.abc import Iterable

from app.cli.confirm import confirm
from app.cli.context import Context
from app.cli.errors import CliError
from app.cli.output import note, print_json, print_table, printable
from app.cli.secret_args import STDIN, global_options, move_off_command_line, uri_lines
from app.core.account import Account, OtpType
from app.core.clock import Clock
from app.core.errors import UriError
from app.core.migration import parse_migration
from app.core.migration_progress import MigrationProgress
from app.core.otp import code_at
from app.core.uri import parse_otpauth
from app.vault.account_edits import advance_hotp
from app.vault.content import VaultContent
from app.vault.preferences import Preferences


def matches(account: Account, query: str | None) -> bool:
    if not query:
        return True
    needle = query.casefold()
    return (
        needle in account.issuer.casefold()
        or needle in account.name.casefold()
        or query == account.uuid
    )


def _read_uris(lines: Iterable[str]) -> tuple[list[Account], MigrationProgress]:
    """Every account in the URIs, or a CliError naming the first bad one (nothing is added)."""
    accounts: list[Account] = []
    progress = MigrationProgress()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            if text.lower().startswith("otpauth-migration:"):
                batch = parse_migration(text)
                accounts += batch.accounts  # given twice: skipped as duplicates
                progress.add(batch)
            else:
                accounts.append(parse_otpauth(text))
        except UriError as error:
            # Never echo the URI: it carries the secret.
            raise CliError(f"URI {number}: {error}; nothing was added") from None
    return accounts, progress


def _describe_batches(progress: MigrationProgress) -> None:
    for export in progress.exports:
        read = ", ".join(map(str, export.read_numbers()))
        note(f"Google Authenticator export: read QR {read} of {export.size}")
        missing = export.missing()
        if missing:
            note(
                f"  QR {', '.join(map(str, missing))} of {export.size} not given yet: add them too"
            )


def cmd_add(ctx: Context, uris: list[str]) -> int:
    lines = uri_lines(uris, "otpauth:// URI")
    accounts, progress = _read_uris(lines)  # bad URIs fail before anything is asked
    if not accounts:
        raise CliError("no URI given: pipe otpauth:// URIs into `keyfob add -`")
    # Before the password is asked (the wait), the secrets leave the process's arguments.
    options = global_options(ctx.vault_option, ctx.password_file)
    move_off_command_line(uris, [*options, "add", STDIN], "keyfob add -")
    vault = ctx.open_vault()
    result = vault.add_accounts(accounts)
    _describe_batches(progress)
    for account in result.added:
        print(f"added: {printable(account.label)}")
    for account in result.duplicates:
        print(f"skipped, already in the vault: {printable(account.label)}")
    return 0


def _list_entry(account: Account) -> dict[str, object]:
    hotp = account.type is OtpType.HOTP
    return {
        "id": account.uuid,
        "issuer": account.issuer,
        "name": account.name,
        "type": account.type.value,
        "algorithm": account.algorithm.value,
        "digits": account.digits,
        "period": None if hotp else account.period,
        "counter": account.counter if hotp else None,
        "groups": list(account.groups),
    }


def cmd_list(ctx: Context, as_json: bool) -> int:
    accounts = ctx.open_vault().content.accounts
    if as_json:
        print_json([_list_entry(a) for a in accounts])
        return 0
    if not accounts:
        note("The vault has no accounts yet: add one with `keyfob add` or `keyfob import`.")
        return 0
    rows = [[a.issuer, a.name, a.type.value, ", ".join(a.groups), a.uuid[:8]] for a in accounts]
    print_table(rows, ["ISSUER", "NAME", "TYPE", "GROUPS", "ID"])
    return 0


def cmd_code(ctx: Context, query: str | None, as_json: bool, at: int | None) -> int:
    vault = ctx.open_vault()
    chosen = [a.uuid for a in vault.content.accounts if matches(a, query)]
    if not chosen:
        raise CliError(_no_match(query))
    now = float(at) if at is not None else _clock().now()
    wanted = set(chosen)

    def take_codes(content: VaultContent) -> list[tuple[Account, str, int | None]]:
        # Inside modify(): HOTP counters are read fresh from disk and advanced atomically,
        # so two processes never show the same HOTP code.
        shown = []
        for account in list(content.accounts):
            if account.uuid not in wanted:
                continue
            code = code_at(account, now)
            if account.type is OtpType.HOTP:
                advance_hotp(content, account.uuid)  # as the desktop app does: one rule
            shown.append((account, code.text, code.valid_until))
        return shown

    if any(a.type is OtpType.HOTP for a in vault.content.accounts if a.uuid in wanted):
        shown = vault.modify(take_codes)
    else:
        shown = take_codes(VaultContent(list(vault.content.accounts), [], [], {}))
    if as_json:
        print_json(
            [
                {
                    "id": a.uuid,
                    "issuer": a.issuer,
                    "name": a.name,
                    "type": a.type.value,
                    "code": text,
                    "valid_until": until,
                }
                for a, text, until in shown
            ]
        )
        return 0
    rows = [
        [a.label, text, "HOTP" if until is None else f"{int(until - now)}s left"]
        for a, text, until in shown
    ]
    print_table(rows)
    return 0


def _clock() -> Clock:
    """The system clock with the correction set in the desktop app's Settings, if any."""
    preferences = Preferences.default()
    if preferences.problem:
        problem = printable(preferences.problem, 4096)
        note(f"Warning: {problem}; codes use the system clock as it is")
    return Clock(offset=preferences.time_offset)


def _no_match(query: str | None) -> str:
    if query:
        return f"no account matches {query!r}: see `keyfob list`"
    return "the vault has no accounts yet: add one with `keyfob add` or `keyfob import`"


def cmd_remove(ctx: Context, query: str, yes: bool) -> int:
    vault = ctx.open_vault()
    found = [a for a in vault.content.accounts if matches(a, query)]
    if not found:
        raise CliError(_no_match(query))
    if len(found) > 1:
        names = "; ".join(f"{printable(a.label)} [{a.uuid[:8]}]" for a in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise CliError(
            f"{query!r} matches {len(found)} accounts ({names}{more}): "
            "be more specific, or give the full id from `keyfob list --json`"
        )
    target = found[0]
    label = printable(target.label)
    if not yes and not confirm(f"Remove {label}? (the backups keep it)"):
        raise CliError("not removed")
    removed = vault.remove_account(target.uuid)
    print(f"removed: {printable(removed.label)}")
    return 0
