"""Putting the server together: store, key, service, HTTP and websocket on one port.

`PushServer` is what the CLI runs and what tests start on an ephemeral port. Site hooks let
later additions (the `--demo` sign-in site) add routes next to the API without touching it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import ssl
from collections.abc import Callable, Sequence

from aiohttp import web

from app.push.canonical import Ed25519PrivateKey, b64u_encode
from app.push.enrollment import is_loopback_host
from app.server.clock import Clock, SystemClock
from app.server.config import WS_PATH, ServerConfig
from app.server.connection_gate import ConnectionGate, GatedSite, descriptor_ceiling
from app.server.database import Database, default_database, open_store, parse_database_url
from app.server.duo.api import DuoApi
from app.server.duo.credentials import DUO_KEY_FILE
from app.server.errors import ServerError
from app.server.gc_policy import GcPolicy
from app.server.http_api import HttpApi, error_middleware
from app.server.hub import Hub
from app.server.keys import SERVER_KEY_FILE, ensure_data_dir
from app.server.metrics import Metrics, serve_metrics
from app.server.notify import Notifier
from app.server.request_context import BASE_URL, LISTEN_URL, TRUSTED_PROXIES
from app.server.server_key import node_server_key
from app.server.service import PushService
from app.server.stats import ServerStats
from app.server.store import Store
from app.server.websocket import DeviceSockets

log = logging.getLogger("keyfob.server")

# A hook gets the aiohttp application before it starts, and the service to drive it.
SiteHook = Callable[[web.Application, PushService], None]


def _tls_context(config: ServerConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None and config.tls_key is None:
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise ServerError("TLS needs both --tls-cert and --tls-key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ServerError(f"cannot load the TLS certificate or key: {exc}") from exc
    return context


def check_exposure(config: ServerConfig) -> None:
    """Off loopback, URLs handed out must come from --public-url (a client picks the Host
    header); and plain http there without a TLS-terminating proxy deserves a warning."""
    if is_loopback_host(config.host):
        return
    if not config.public_url:
        raise ServerError(
            f"listening on {config.host or 'every address'} (not loopback) needs --public-url, "
            "the address devices and sites reach this server at (like https://push.example.com)"
        )
    if config.tls_cert is None and not config.trusted_proxies:
        log.warning(
            "listening on %s without TLS and without --trusted-proxy: devices and sites talk "
            "to this server in the clear; serve it with --tls-cert/--tls-key or behind a TLS proxy",
            config.host,
        )


async def _drop_server_header(_: web.Request, response: web.StreamResponse) -> None:
    # "Server: Python/3.x aiohttp/3.x" only tells a scanner which bugs to try.
    response.headers.popall("Server", None)


class PushServer:
    def __init__(
        self,
        config: ServerConfig,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        site_hooks: Sequence[SiteHook] = (),
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.stats = ServerStats()
        self._store = store
        self._site_hooks = list(site_hooks)
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._gc_task: asyncio.Task[None] | None = None
        self._sockets: DeviceSockets | None = None
        self._service: PushService | None = None
        self.duo: DuoApi | None = None  # Duo's Auth API (app/server/duo), while running
        self._notifier: Notifier | None = None
        self._metrics_runner: web.AppRunner | None = None
        self.gate: ConnectionGate | None = None
        self.port: int | None = None
        # Names this process in the database (notices it sends, pg_stat_activity).
        self.node_id = secrets.token_urlsafe(6)
        self.metrics = Metrics()

    @property
    def service(self) -> PushService:
        if self._service is None:
            raise ServerError("the server is not running")
        return self._service

    @property
    def device_sockets(self) -> DeviceSockets:
        """The device websocket side (its limits and counters), while running."""
        if self._sockets is None:
            raise ServerError("the server is not running")
        return self._sockets

    @property
    def app(self) -> web.Application | None:
        """The running aiohttp application (for site hooks and tests), None when stopped."""
        return None if self._runner is None else self._runner.app

    @property
    def scheme(self) -> str:
        return "https" if self.config.tls_cert else "http"

    @property
    def listen_url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Where devices and sites reach this server (--public-url, else where it listens)."""
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        return self.listen_url

    async def _open_state(self) -> tuple[Database, Store, Ed25519PrivateKey]:
        """The database (migrated) and the server key it has on record."""
        config = self.config
        if config.database is None or config.server_key is None:
            ensure_data_dir(config.data_dir)
        database = (
            parse_database_url(config.database)
            if config.database
            else default_database(config.data_dir)
        )
        store = self._store or await open_store(database, node_id=self.node_id)
        self._store = store
        try:
            key_file = config.server_key or config.data_dir / SERVER_KEY_FILE
            key = await node_server_key(store, key_file)
        except BaseException:
            await self.stop()
            raise
        return database, store, key

    def _new_service(self, store: Store, server_key: Ed25519PrivateKey) -> PushService:
        """The service, with its metrics and its ear on other nodes (not yet listening)."""
        metrics = self.metrics = Metrics()
        hub = Hub(on_delivery=metrics.delivery.observe)
        notifier = self._notifier = store.notifier(self.node_id)
        metrics.watch(
            lambda: len(hub),
            lambda: None if self._store is None else self._store.health,
            lambda: (notifier.health, notifier.connected),
        )
        return PushService(
            store,
            server_key,
            self.clock,
            hub,
            self.config.limits,
            metrics=metrics,
            notifier=notifier,
            node_id=self.node_id,
        )

    async def _open_duo(self, service: PushService, database: Database) -> DuoApi:
        key_file = self.config.duo_key or self.config.data_dir / DUO_KEY_FILE
        try:
            return await DuoApi.open(service, database, key_file, self.config.limits)
        except BaseException:
            await self.stop()
            raise

    async def _serve_metrics(self) -> None:
        if self.config.metrics_listen is None:
            return
        host, port = self.config.metrics_listen
        try:
            self._metrics_runner = await serve_metrics(self.metrics, host, port)
        except OSError as exc:
            await self.stop()
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise ServerError(f"cannot serve metrics on {host}:{port}: {reason}") from exc

    async def start(self) -> None:
        config = self.config
        check_exposure(config)
        tls = _tls_context(config)
        database, store, server_key = await self._open_state()
        service = self._service = self._new_service(store, server_key)
        duo = self.duo = await self._open_duo(service, database)
        sockets = DeviceSockets(service, config.limits, self.stats)
        self._sockets = sockets
        app = web.Application(
            middlewares=[error_middleware(self.stats)],
            client_max_size=config.limits.max_body_bytes,
        )
        app[BASE_URL] = lambda: self.base_url
        app[LISTEN_URL] = lambda: self.listen_url
        app[TRUSTED_PROXIES] = config.trusted_proxies
        app.on_response_prepare.append(_drop_server_header)
        HttpApi(service, config).add_routes(app)
        duo.add_routes(app)
        app.router.add_get(WS_PATH, sockets.handle)

        async def on_shutdown(_: web.Application) -> None:
            service.shutdown()
            await sockets.close_all()

        app.on_shutdown.append(on_shutdown)
        for hook in self._site_hooks:
            hook(app, service)
        limits = config.limits
        runner = web.AppRunner(
            app,
            handle_signals=False,
            shutdown_timeout=5.0,
            # Idle keep-alive connections, and ones still sending their request head, close
            # after this (aiohttp's default is an hour: a cheap way to hold our descriptors).
            keepalive_timeout=limits.keepalive_timeout,
            # After an early answer (408, 413, 401) the rest of a body is read and dropped
            # for at most this long before the connection closes (aiohttp's default: 10 s).
            lingering_time=limits.body_timeout,
        )
        await runner.setup()
        self._runner = runner
        self.gate = ConnectionGate(
            limits.connections_per_ip,
            descriptor_ceiling(limits.max_connections),
            config.trusted_proxies,
        )
        site = GatedSite(
            runner,
            config.host,
            config.port,
            self.gate,
            ssl_context=tls,
            backlog=1024,
            handshake_timeout=limits.keepalive_timeout,
        )
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise ServerError(f"cannot listen on {config.host}:{config.port}: {reason}") from exc
        address = runner.addresses[0]
        self.port = int(address[1])
        await service.notifier.start(service.on_notice, service.resync)
        await self._serve_metrics()
        self._sweeper = asyncio.create_task(service.run_sweeper())
        if config.manage_gc:
            self._gc_task = asyncio.create_task(GcPolicy(self.stats).run())
        log.info(
            "keyfob-server listening on %s (public URL %s, server key spk=%s, %s, node %s)",
            self.listen_url,
            self.base_url,
            b64u_encode(service.server_public_key),
            database.describe(),
            self.node_id,
        )

    async def stop(self) -> None:
        if self._gc_task is not None:
            self._gc_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._gc_task
            self._gc_task = None
            GcPolicy.release()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._metrics_runner is not None:
            await self._metrics_runner.cleanup()
            self._metrics_runner = None
        if self.duo is not None:
            await self.duo.close()
            self.duo = None
        if self._notifier is not None:
            await self._notifier.close()
            self._notifier = None
        if self._store is not None:
            await self._store.close()
            self._store = None
        self._service = None

    async def __aenter__(self) -> PushServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
