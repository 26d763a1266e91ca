"""`keyfob import` and `keyfob export`: accounts in from other apps, out to them and to paper.

Import is all or nothing per run: every file is read, decrypted and converted first; only
then is everything added, in one `Vault.modify`, so a wrong password or a damaged file
anywhere leaves the vault byte-for-byte as it was. Entries a file holds but Keyfob cannot
use are reported (never their text, which may hold a secret) and do not stop the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.cli.context import Context
from app.cli.errors import CliError
from app.cli.output import note, print_json, print_table, printable, shown_path
from app.cli.passwords import prompt, read_password_file
from app.cli.publish import check_destination, write_new
from app.core.account import Account
from app.formats import registry
from app.formats.base import EntryProblem, Importer, ImportResult
from app.formats.errors import ImportFormatError, PasswordRequiredError
from app.formats.exporters.base import Exporter, ExportReport
from app.formats.exporters.registry import exporter_aliases, exporter_by_name, exporters
from app.formats.labels import entry_hint
from app.formats.sources import Source, SourceError, gather, importer_for
from app.vault.account_edits import AdditionPlanner, store_new
from app.vault.content import VaultContent

NOTHING_IMPORTED = "nothing was imported"

# --- reading the files -----------------------------------------------------------------------


@dataclass
class _Source:
    """One thing read: a file, or the QR codes of all the images given."""

    name: str
    importer: Importer
    result: ImportResult


@dataclass
class _Plan:
    source: _Source
    added: list[Account] = field(default_factory=list)
    duplicates: list[Account] = field(default_factory=list)


class _SourcePasswords:
    """--source-password-file for every encrypted file, else a prompt for each."""

    def __init__(self, password_file: str | None) -> None:
        self.given = read_password_file(password_file) if password_file else None

    def for_file(self, name: str) -> str:
        if self.given is not None:
            return self.given
        try:
            return prompt(f"Password for {name}")
        except CliError:
            raise CliError(
                f"{name} is encrypted and there is no terminal to ask for its password: "
                f"use --source-password-file FILE; {NOTHING_IMPORTED}"
            ) from None


def _read_source(source: Source, format_name: str | None, passwords: _SourcePasswords) -> _Source:
    try:
        importer = importer_for(source, format_name)
        data = source.data
        password = (
            passwords.for_file(source.name) if importer.needs_password(data) else passwords.given
        )
        try:
            result = importer.read(data, password)
        except PasswordRequiredError:
            if password is not None:
                raise
            result = importer.read(data, passwords.for_file(source.name))
    except SourceError as error:  # it names the source already
        raise CliError(f"{error}; {NOTHING_IMPORTED}") from None
    except ImportFormatError as error:
        raise CliError(f"{source.name}: {error}; {NOTHING_IMPORTED}") from None
    return _Source(source.name, importer, result)


def read_sources(
    files: Sequence[str], format_name: str | None, password_file: str | None
) -> list[_Source]:
    """Every file read and converted, or a CliError (before anything is added)."""
    passwords = _SourcePasswords(password_file)
    try:
        found = gather([Path(file) for file in files], [shown_path(f) for f in files], _read_qr)
    except SourceError as error:
        raise CliError(f"{error}; {NOTHING_IMPORTED}") from None
    return [_read_source(source, format_name, passwords) for source in found]


def _read_qr(data: bytes) -> list[str]:
    from app.qr.decode import decode_image_bytes  # zxing loads only when images are given

    return decode_image_bytes(data)


# --- adding ----------------------------------------------------------------------------------


def _plan(content: VaultContent, sources: Sequence[_Source]) -> list[_Plan]:
    """Per source, the accounts to add and those skipped (same secret, issuer and name as one
    in the vault or earlier in this run). An account whose uuid is taken gets a new one."""
    planner = AdditionPlanner(content.accounts)
    plans = []
    for source in sources:
        result = planner.sort(source.result.accounts)
        plans.append(_Plan(source, result.added, result.duplicates))
    return plans


def _apply(content: VaultContent, sources: Sequence[_Source]) -> list[_Plan]:
    plans = _plan(content, sources)
    store_new(content, [account for plan in plans for account in plan.added])
    return plans


# --- reporting -------------------------------------------------------------------------------


def _account_json(account: Account) -> dict[str, str]:
    return {
        # Exact: print_json escapes what a terminal must not see.
        "issuer": account.issuer,
        "name": account.name,
        "type": account.type.value,
    }


def _problem_json(index: int, problem: EntryProblem) -> dict[str, object]:
    return {
        "entry": index,
        "label": entry_hint(problem.raw),
        "reason": printable(problem.reason, 500),
    }


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _print_text(plans: Sequence[_Plan], dry_run: bool) -> None:
    add_word = "would add" if dry_run else "added"
    for plan in plans:
        source = plan.source
        print(f"{source.name}: {source.importer.title} ({source.importer.name})")
        for account in plan.added:
            print(f"  {add_word}: {printable(account.label, 80)}")
        for account in plan.duplicates:
            label = printable(account.label, 80)
            print(f"  skipped, a duplicate (same secret, issuer and name): {label}")
        problems = source.result.problems
        if problems:
            print(f"  could not use {_plural(len(problems), 'entry', 'entries')}:")
        for index, problem in enumerate(problems, start=1):
            hint = entry_hint(problem.raw)
            # Numbered among the unusable entries: importers do not say where each one was.
            which = f"unusable entry {index}" + (f" ({hint})" if hint else "")
            print(f"    {which}: {printable(problem.reason, 300)}")
    added = sum(len(p.added) for p in plans)
    duplicates = sum(len(p.duplicates) for p in plans)
    unusable = sum(len(p.source.result.problems) for p in plans)
    if dry_run:
        summary = f"Would add {_plural(added, 'account')}, skip {_plural(duplicates, 'duplicate')}"
    else:
        summary = f"Added {_plural(added, 'account')}, skipped {_plural(duplicates, 'duplicate')}"
    summary += f"; {_plural(unusable, 'entry', 'entries')} not usable."
    print(summary + (" Dry run: nothing was written." if dry_run else ""))


def _print_json(plans: Sequence[_Plan], dry_run: bool) -> None:
    print_json(
        {
            "dry_run": dry_run,
            "added": sum(len(p.added) for p in plans),
            "duplicates": sum(len(p.duplicates) for p in plans),
            "not_usable": sum(len(p.source.result.problems) for p in plans),
            "files": [
                {
                    "file": plan.source.name,
                    "format": plan.source.importer.name,
                    "title": plan.source.importer.title,
                    "added": [_account_json(a) for a in plan.added],
                    "duplicates": [_account_json(a) for a in plan.duplicates],
                    "not_usable": [
                        _problem_json(i, p)
                        for i, p in enumerate(plan.source.result.problems, start=1)
                    ],
                }
                for plan in plans
            ],
        }
    )


# --- the commands ----------------------------------------------------------------------------


def cmd_list_formats(as_json: bool) -> int:
    importers = registry.importers()
    outs = exporters()
    if as_json:
        print_json(
            {
                "import": [
                    {"name": i.name, "title": i.title, "aliases": registry.aliases(i.name)}
                    for i in importers
                ],
                "export": [
                    {
                        "name": e.name,
                        "title": e.title,
                        "plaintext": e.plaintext,
                        "folder": e.folder,
                        "aliases": exporter_aliases(e.name),
                    }
                    for e in outs
                ],
            }
        )
        return 0
    print("Import (--from FORMAT; usually detected from the file):")
    print_table([["  " + i.name, i.title, _also(registry.aliases(i.name))] for i in importers])
    print()
    print("Export (--format FORMAT):")
    rows = []
    for e in outs:
        kind = "unencrypted" if e.plaintext else "encrypted"
        where = f"{kind} {'folder' if e.folder else 'file'}"
        rows.append(["  " + e.name, e.title, where, _also(exporter_aliases(e.name))])
    print_table(rows)
    return 0


def _also(aliases: Sequence[str]) -> str:
    """The other names a format answers to (scripts written with them keep working)."""
    return f"also: {', '.join(aliases)}" if aliases else ""


def cmd_import(
    ctx: Context,
    files: Sequence[str],
    *,
    format_name: str | None,
    source_password_file: str | None,
    dry_run: bool,
    as_json: bool,
    list_formats: bool,
) -> int:
    if list_formats:
        return cmd_list_formats(as_json)
    if not files:
        raise CliError("give the files to import (or --list-formats to see what Keyfob reads)")
    if format_name:
        try:
            registry.by_name(format_name)
        except ImportFormatError as error:
            raise CliError(str(error)) from None
    if not ctx.vault_path.exists():  # say so before asking for any file's password
        ctx.open_vault()
    sources = read_sources(files, format_name, source_password_file)
    vault = ctx.open_vault()
    plans = _plan(vault.content, sources)
    if not dry_run and any(plan.added for plan in plans):
        # Planned again inside modify: it may have reloaded another process's save.
        plans = vault.modify(lambda content: _apply(content, sources))
    if as_json:
        _print_json(plans, dry_run)
    else:
        _print_text(plans, dry_run)
    return 0


def _print_export(report: ExportReport, exporter: Exporter, out: str) -> None:
    count = _plural(report.exported, "account")
    print(f"Exported {count} to {shown_path(out)} as {exporter.title}.")
    if exporter.folder:
        for path in report.files:
            print(f"  {printable(path.name, 80)}")
    for item in report.left_out:
        print(f"  not exported: {printable(item.label, 80)}: {printable(item.reason)}")
    for remark in report.notes:
        note(f"Note: {remark}")
    if report.format == "googleauth":
        note(
            "Show the images one at a time, in order, and scan each with Google "
            "Authenticator (Transfer accounts > Import accounts)."
        )
    if exporter.plaintext:
        note(
            "These files are not encrypted: anyone who reads them can make your codes. "
            "Delete them once they have served."
        )


def _export_password(password_file: str | None) -> str:
    """From --export-password-file, else asked twice on the terminal."""
    if password_file:
        return read_password_file(password_file)
    try:
        first = prompt("Password for the export")
        again = prompt("Password for the export (again)") if first else ""
    except CliError:
        raise CliError(
            "no terminal to ask for the export's password: use --export-password-file FILE"
        ) from None
    if not first:
        raise CliError("the export's password must not be empty: nothing was exported")
    if again != first:
        raise CliError("the two passwords differ: nothing was exported")
    return first


def cmd_export(
    ctx: Context,
    format_name: str,
    out: str,
    *,
    export_password_file: str | None,
    yes_plaintext: bool,
) -> int:
    exporter = exporter_by_name(format_name)
    if exporter.plaintext and not yes_plaintext:
        raise CliError(
            f"the {exporter.name} format writes your secrets unencrypted (whoever reads it can "
            "make your codes): add --yes-plaintext to go ahead, or use --format aegis or keyfob"
        )
    destination = Path(out)
    folder_was_there = check_destination(exporter, destination, out)
    if exporter.plaintext and export_password_file:
        note(f"--export-password-file is not used: the {exporter.name} format is not encrypted")
    vault = ctx.open_vault(password_required=True)  # never by quick unlock: every secret leaves
    content = vault.content
    if not content.accounts:
        raise CliError("the vault has no accounts to export: add some first")
    password = None if exporter.plaintext else _export_password(export_password_file)
    report = write_new(
        exporter, content, destination, password, out=out, folder_was_there=folder_was_there
    )
    _print_export(report, exporter, out)
    return 0
