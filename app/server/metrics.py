"""What operators' Prometheus scrapes: `--metrics-listen HOST:PORT` serves `/metrics` there.

A separate port, off by default, and never behind the public proxy: the figures say how
busy the server is, which is nobody else's business. Each server has its own registry (a
test process runs several). No label carries a user, a site or a device: only outcomes.

- keyfob_devices_connected: device sockets this node holds
- keyfob_challenges_created_total, keyfob_challenges_ended_total{outcome},
  keyfob_challenges_refused_total{reason}: counted by the node that made the change
- keyfob_challenge_delivery_seconds: from a challenge's arrival at this node (made here, or
  the notice of it) to its write on a device socket
- keyfob_database_errors_total: operations the database could not answer (each a 503)
- keyfob_notification_errors_total, keyfob_notifications_received_total,
  keyfob_notification_listener_connected: the listener for other nodes' notices
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.server.notify import NotifierHealth
from app.server.store import StoreHealth

log = logging.getLogger("keyfob.server")

# Seconds: a delivery within a few milliseconds is the norm; the target is 50 ms at p99.
DELIVERY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _Live(Collector):
    """Figures read when scraped, from the objects that keep them."""

    def __init__(
        self,
        devices: Callable[[], int],
        store: Callable[[], StoreHealth | None],
        notifier: Callable[[], tuple[NotifierHealth, bool] | None],
    ) -> None:
        self._devices = devices
        self._store = store
        self._notifier = notifier

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "keyfob_devices_connected", "Device sockets this node holds.", value=self._devices()
        )
        store = self._store()
        yield CounterMetricFamily(
            "keyfob_database_errors",
            "Operations that failed because the database could not be reached.",
            value=0 if store is None else store.errors,
        )
        notifier = self._notifier()
        health, connected = notifier if notifier is not None else (NotifierHealth(), False)
        yield CounterMetricFamily(
            "keyfob_notification_errors",
            "Lost listener connections, failed reconnections and notices that could not be used.",
            value=health.errors,
        )
        yield CounterMetricFamily(
            "keyfob_notifications_received",
            "Notices from other nodes received.",
            value=health.received,
        )
        yield GaugeMetricFamily(
            "keyfob_notification_listener_connected",
            "1 while this node listens for other nodes' notices.",
            value=int(connected),
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.challenges_created = Counter(
            "keyfob_challenges_created", "Challenges made on this node.", registry=self.registry
        )
        self.challenges_ended = Counter(
            "keyfob_challenges_ended",
            "Challenges this node moved to a final status, by status.",
            ["outcome"],
            registry=self.registry,
        )
        self.challenges_refused = Counter(
            "keyfob_challenges_refused",
            "Challenges refused by the push rules on this node, by rule.",
            ["reason"],
            registry=self.registry,
        )
        self.delivery = Histogram(
            "keyfob_challenge_delivery_seconds",
            "From a challenge's arrival at this node to its write on a device socket.",
            buckets=DELIVERY_BUCKETS,
            registry=self.registry,
        )

    def watch(
        self,
        devices: Callable[[], int],
        store: Callable[[], StoreHealth | None],
        notifier: Callable[[], tuple[NotifierHealth, bool] | None],
    ) -> None:
        self.registry.register(_Live(devices, store, notifier))

    def render(self) -> bytes:
        return render(self.registry)


async def serve_metrics(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """The metrics site on its own port: `/metrics` only."""

    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", handler)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("metrics at http://%s:%d/metrics", host, port)
    return runner
