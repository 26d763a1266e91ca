"""`keyfob-server duo create|list|revoke`: Duo integrations, the credentials an IdP needs.

`create NAME` makes an integration of the site NAME (the NAME of `apikey create`: its users
and devices) and prints the three settings an IdP asks for: the integration key, the secret
key (shown this once; the server keeps it sealed with the Duo key file) and the API
hostname (from --public-url). Errors are one line, like every keyfob-server command.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import KeyfobError
from app.server.credential_rows import CredentialRow, print_rows
from app.server.database import Database, open_store
from app.server.duo.credentials import (
    DUO_KEY_FILE,
    DuoKeyring,
    load_or_create_duo_key,
    new_integration_key,
    new_secret_key,
)
from app.server.duo.database import open_duo_store
from app.server.duo.store import DuoStore, Integration

PROG = "keyfob-server"
_IKEY = re.compile(r"DI[A-Z0-9]{18}")


def add_commands(
    commands: argparse._SubParsersAction[Any],
    data: argparse.ArgumentParser,
    parser_class: type[argparse.ArgumentParser],
    name_type: Callable[[str], str],
    url_type: Callable[[str], str],
) -> None:
    """The `duo` command and its subcommands, on keyfob-server's parser (`data` gives
    --data-dir and --database, as for `apikey`)."""
    duo_key = parser_class(add_help=False)
    duo_key.add_argument(
        "--duo-key",
        metavar="FILE",
        type=Path,
        help=f"the key sealing the secret keys, the same file on every node (default: "
        f"{DUO_KEY_FILE} in the data folder; the first `duo create` makes it)",
    )
    duo = commands.add_parser("duo", help="manage Duo Auth API integrations (see DUO.md)")
    actions = duo.add_subparsers(dest="duo_command", required=True, parser_class=parser_class)
    create = actions.add_parser(
        "create",
        parents=[data, duo_key],
        help="make an integration of the site NAME; prints its keys (the secret only once)",
    )
    create.add_argument("name", metavar="NAME", type=name_type, help="the site, as for apikey")
    create.add_argument(
        "--public-url",
        required=True,
        type=url_type,
        help="the https:// base URL IdPs reach this server at (gives the API hostname)",
    )
    create.add_argument(
        "--json", action="store_true", help='print {"ikey", "skey", "api_hostname"}'
    )
    actions.add_parser("list", parents=[data], help="list integrations (key, site, made, state)")
    revoke = actions.add_parser("revoke", parents=[data], help="revoke one integration")
    revoke.add_argument("ikey", metavar="IKEY", help="the integration key")


def api_hostname(public_url: str) -> str:
    """What an IdP's "API hostname" setting takes: the host, and the port if not 443."""
    parts = urlsplit(public_url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return host if parts.port in {None, 443} else f"{host}:{parts.port}"


async def run(args: argparse.Namespace, data_dir: Path, database: Database) -> int:
    """The chosen subcommand on `database` (from --database, else the data folder's);
    KeyfobError for what went wrong (one line, from main)."""
    from app.server.keys import ensure_data_dir

    # Opening the push store makes or upgrades the schema, Duo's tables included.
    push_store = await open_store(database, node_id="cli", max_connections=1)
    try:
        store = await open_duo_store(database, push_store)
        try:
            if args.duo_command == "create":
                key_file: Path = args.duo_key or ensure_data_dir(data_dir) / DUO_KEY_FILE
                return await _create(args, key_file, store)
            if args.duo_command == "list":
                return await _list(store)
            return await _revoke(args, store)
        finally:
            await store.close()
    finally:
        await push_store.close()


async def _create(args: argparse.Namespace, key_file: Path, store: DuoStore) -> int:
    # The integrations already made must open with this key file: never make a second key.
    DuoKeyring(key_file).check(await store.active_key_ids())
    key = load_or_create_duo_key(key_file)
    ikey, skey = new_integration_key(), new_secret_key()
    await store.add_integration(
        Integration(ikey, args.name, key.seal(ikey, skey), key.key_id, int(time.time()))
    )
    hostname = api_hostname(args.public_url)
    if args.json:
        print(json.dumps({"ikey": ikey, "skey": skey, "api_hostname": hostname}))
    else:
        print(f"integration key: {ikey}\nsecret key:      {skey}\nAPI hostname:    {hostname}")
    print(
        f"{PROG}: Duo integration {ikey} made for {args.name}; the secret key is shown only once",
        file=sys.stderr,
    )
    if not args.public_url.startswith("https://"):
        print(
            f"{PROG}: warning: Duo's clients only speak https; --public-url should be https://",
            file=sys.stderr,
        )
    return 0


async def _list(store: DuoStore) -> int:
    rows = [
        CredentialRow(row.ikey, row.rp, row.created_at, row.revoked_at)
        for row in await store.list_integrations()
    ]
    print_rows(rows, f"{PROG}: no Duo integrations yet; make one with `{PROG} duo create NAME`")
    return 0


async def _revoke(args: argparse.Namespace, store: DuoStore) -> int:
    ikey = str(args.ikey)
    if not await store.revoke_integration(ikey, int(time.time())):
        shown = ikey if _IKEY.fullmatch(ikey) else "with that key"
        raise KeyfobError(f"no active Duo integration {shown} (see `{PROG} duo list`)")
    print(f"{PROG}: Duo integration {ikey} revoked", file=sys.stderr)
    return 0
