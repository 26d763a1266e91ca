"""Putting the server together: store, key, service, HTTP and websocket on one port.

`PushServer` is what the CLI runs and what tests start on an ephemeral port. Site hooks let
later additions (the `--demo` sign-in site) add routes next to the API without touching it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from collections.abc import Callable, Sequence

from aiohttp import web

from app.push.canonical import b64u_encode
from app.server.clock import Clock, SystemClock
from app.server.config import WS_PATH, ServerConfig
from app.server.errors import ServerError
from app.server.gc_policy import GcPolicy
from app.server.http_api import HttpApi, error_middleware
from app.server.hub import Hub
from app.server.keys import ensure_data_dir, load_or_create_server_key
from app.server.service import PushService
from app.server.sqlite_store import SQLiteStore
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
        self.port: int | None = None

    @property
    def service(self) -> PushService:
        if self._service is None:
            raise ServerError("the server is not running")
        return self._service

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

    async def start(self) -> None:
        config = self.config
        tls = _tls_context(config)
        ensure_data_dir(config.data_dir)
        server_key = load_or_create_server_key(config.data_dir)
        store = self._store or await SQLiteStore.open(config.data_dir)
        self._store = store
        service = PushService(store, server_key, self.clock, Hub(), config.limits)
        self._service = service
        sockets = DeviceSockets(service, config.limits, self.stats)
        self._sockets = sockets
        app = web.Application(
            middlewares=[error_middleware(self.stats)],
            client_max_size=config.limits.max_body_bytes,
        )
        HttpApi(service, config).add_routes(app)
        app.router.add_get(WS_PATH, sockets.handle)

        async def on_shutdown(_: web.Application) -> None:
            service.shutdown()
            await sockets.close_all()

        app.on_shutdown.append(on_shutdown)
        for hook in self._site_hooks:
            hook(app, service)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5.0)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(
            runner, config.host, config.port, ssl_context=tls, reuse_address=True, backlog=1024
        )
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise ServerError(f"cannot listen on {config.host}:{config.port}: {reason}") from exc
        address = runner.addresses[0]
        self.port = int(address[1])
        self._sweeper = asyncio.create_task(service.run_sweeper())
        if config.manage_gc:
            self._gc_task = asyncio.create_task(GcPolicy(self.stats).run())
        log.info(
            "keyfob-server listening on %s (public URL %s, server key spk=%s)",
            self.listen_url,
            self.base_url,
            b64u_encode(service.server_public_key),
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
        if self._store is not None:
            await self._store.close()
            self._store = None
        self._service = None

    async def __aenter__(self) -> PushServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
