"""`keyfob-server`: run the push server, manage relying parties' API keys, migrate the
database.

Errors are one line on stderr and exit 1 (2 for usage), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from app.core.errors import KeyfobError
from app.server.client_address import TrustedProxies, parse_trusted_proxy
from app.server.config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig

if TYPE_CHECKING:
    from app.server.database import Database

PROG = "keyfob-server"
ENV_DATABASE = "KEYFOB_SERVER_DATABASE"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("keyfob-server"))


def _public_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            "give an http:// or https:// base URL, like https://push.example.com"
        )
    return text.rstrip("/")


def _checked(text: str, parse: Callable[[str], object]) -> str:
    """`text` as given, once `parse` accepts it; its error becomes argparse's usage error."""
    try:
        parse(text)
    except KeyfobError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _trusted_proxy(text: str) -> str:
    return _checked(text, parse_trusted_proxy)


def _database(text: str) -> str:
    from app.server.database import parse_database_url

    return _checked(text, parse_database_url)


def _listen_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError("give HOST:PORT, like 10.0.0.11:9765 or [::1]:9765")
    return host, int(port)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return int(text)


def _rp_name(text: str) -> str:
    if not 1 <= len(text) <= 256 or _CONTROL.search(text):
        raise argparse.ArgumentTypeError("NAME is 1-256 characters without control characters")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="The Keyfob push server (relying-party API + device websocket)."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = _Parser(add_help=False)
    data.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where keys and state live (default: the per-user data folder)",
    )
    data.add_argument(
        "--database",
        metavar="URL",
        type=_database,
        default=os.environ.get(ENV_DATABASE) or None,
        help="postgresql://user:password@host:port/db (shared by several nodes) or "
        f"sqlite:///PATH; default ${ENV_DATABASE}, else SQLite in the data folder",
    )

    run = commands.add_parser("run", parents=[data], help="run the server")
    run.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    run.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks one)",
    )
    run.add_argument(
        "--public-url",
        type=_public_url,
        help="base URL devices and sites reach this server at (behind a proxy or TLS "
        "terminator); required when --host is not a loopback address",
    )
    run.add_argument(
        "--trusted-proxy",
        metavar="CIDR",
        action="append",
        type=_trusted_proxy,
        default=[],
        help="a reverse proxy (address or range) whose X-Forwarded-For or Forwarded header "
        "names the client; repeat for several",
    )
    run.add_argument(
        "--server-key",
        metavar="FILE",
        type=Path,
        help="the signing key devices pin, the same file on every node "
        "(default: server-key.pem in the data folder; made there on first start)",
    )
    run.add_argument(
        "--duo-key",
        metavar="FILE",
        type=Path,
        help="the key sealing Duo integrations' secret keys, the same file on every node "
        "(default: duo-key in the data folder; see DUO.md)",
    )
    run.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        type=_listen_address,
        help="serve Prometheus metrics at http://HOST:PORT/metrics (off by default)",
    )
    run.add_argument("--tls-cert", type=Path, help="PEM certificate chain, to serve https/wss")
    run.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    run.add_argument(
        "--demo",
        action="store_true",
        help="also serve the demo sign-in site at /demo (with its own API key); for trying "
        "Keyfob on this computer only, never on a server others reach",
    )

    apikey = commands.add_parser("apikey", help="manage relying parties' API keys")
    keys = apikey.add_subparsers(dest="apikey_command", required=True, parser_class=_Parser)
    create = keys.add_parser(
        "create",
        parents=[data],
        help="make a key for the site NAME and print it (once) on stdout",
    )
    create.add_argument(
        "name", metavar="NAME", type=_rp_name, help="the site; devices show it as the issuer"
    )
    keys.add_parser("list", parents=[data], help="list keys (id, site, made, state)")
    revoke = keys.add_parser("revoke", parents=[data], help="revoke one key")
    revoke.add_argument(
        "key", metavar="KEY_ID", help="the id `apikey list` shows (or the key itself)"
    )
    from app.server.duo.cli import add_commands as add_duo_commands

    add_duo_commands(commands, data, _Parser, _rp_name, _public_url)
    commands.add_parser(
        "migrate",
        parents=[data],
        help="create or upgrade the database's schema, then exit (`run` does it too)",
    )
    return parser


def _raise_file_limit() -> None:
    """Every device holds a socket: lift the soft open-file limit to the hard one."""
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def _serve(config: ServerConfig, demo: bool = False) -> None:
    from app.server.app import PushServer, SiteHook

    hooks: list[SiteHook] = []
    if demo:
        from app.server.demo import DemoSite

        hooks.append(DemoSite().install)
    server = PushServer(config, site_hooks=hooks)
    await server.start()
    if demo:
        from app.push.enrollment import is_loopback_host

        log = logging.getLogger("keyfob.server")
        log.info("demo sign-in site: %s/demo", server.base_url)
        if not is_loopback_host(config.host):
            log.warning(
                "--demo while listening on %s: the demo enrolls and signs in anyone who "
                "reaches it; it is for trying Keyfob on one computer",
                config.host,
            )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, AttributeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        logging.getLogger("keyfob.server").info("keyfob-server stopping")
        await server.stop()


def _run(args: argparse.Namespace, data_dir: Path) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _raise_file_limit()
    config = ServerConfig(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        trusted_proxies=TrustedProxies.parse(args.trusted_proxy),
        manage_gc=True,
        database=args.database,
        server_key=args.server_key,
        duo_key=args.duo_key,
        metrics_listen=args.metrics_listen,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, args.demo))
    return 0


def _database_for(args: argparse.Namespace, data_dir: Path) -> Database:
    from app.server.database import default_database, parse_database_url
    from app.server.keys import ensure_data_dir

    if args.database:
        return parse_database_url(args.database)
    return default_database(ensure_data_dir(data_dir))


async def _migrate(args: argparse.Namespace, data_dir: Path) -> int:
    from app.server.database import migrate

    database = _database_for(args, data_dir)
    applied, version = await migrate(database)
    for step in applied:
        print(f"{PROG}: applied migration {step.version} ({step.name})", file=sys.stderr)
    done = "migrated" if applied else "already up to date"
    print(f"{PROG}: {database.describe()} {done}, schema version {version}", file=sys.stderr)
    return 0


async def _apikey(args: argparse.Namespace, data_dir: Path) -> int:
    from app.server.database import open_store
    from app.server.keys import hash_api_key, key_id_for, new_api_key

    store = await open_store(_database_for(args, data_dir), node_id="cli", max_connections=1)
    try:
        now = int(time.time())
        if args.apikey_command == "create":
            made = new_api_key()
            await store.add_api_key(made.key_id, args.name, made.key_hash, now)
            print(made.key)
            print(
                f"{PROG}: API key {made.key_id} made for {args.name}; it is shown only once",
                file=sys.stderr,
            )
            return 0
        if args.apikey_command == "list":
            from app.server.credential_rows import CredentialRow, print_rows

            rows = [
                CredentialRow(info.key_id, info.rp, info.created_at, info.revoked_at)
                for info in await store.list_api_keys()
            ]
            print_rows(rows, f"{PROG}: no API keys yet; make one with `{PROG} apikey create NAME`")
            return 0
        key = str(args.key)
        key_id = key_id_for(hash_api_key(key)) if key.startswith("kf_") else key
        if not await store.revoke_api_key(key_id, now):
            raise KeyfobError(f"no active API key with id {key_id} (see `{PROG} apikey list`)")
        print(f"{PROG}: API key {key_id} revoked", file=sys.stderr)
        return 0
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir: Path = args.data_dir or _default_data_dir()
    try:
        if args.command == "run":
            return _run(args, data_dir)
        if args.command == "migrate":
            return asyncio.run(_migrate(args, data_dir))
        if args.command == "duo":
            from app.server.duo.cli import run as run_duo

            return asyncio.run(run_duo(args, data_dir, _database_for(args, data_dir)))
        return asyncio.run(_apikey(args, data_dir))
    except (KeyfobError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
