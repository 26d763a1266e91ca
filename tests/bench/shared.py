"""What the server benchmarks (push.py, duo.py) share: progress lines, ports, percentiles,
waiting for a server to listen, and the Markdown table of figures against targets."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

START_DEADLINE = 60.0  # seconds a server may take to make its key and schema and listen


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def met(value: float, limit: float, *, at_least: bool = False) -> str:
    return "yes" if (value >= limit if at_least else value <= limit) else "NO"


def wait_listening(log_path: Path, process: subprocess.Popen[bytes]) -> None:
    """Until the server's log says it listens (polled: the log is a file, not a pipe);
    RuntimeError with the log if it exits or takes too long."""
    deadline = time.monotonic() + START_DEADLINE
    while "listening on" not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")
        time.sleep(0.05)


def print_markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
