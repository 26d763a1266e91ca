"""Asking the system keyring for a vault's key in a helper process while the start goes on.

On the Secret Service's platforms a key costs about 30 ms: SecretStorage and its D-Bus library
load, then a few round trips to the keyring daemon. A quick start has as much other work to do
meanwhile (the crypto and the vault's own modules load, then Qt), so `prefetch_key` forks a
helper that asks the keyring and sends back over a pipe what it said: the item's text (the
random key quick unlock stored; never the password or the master key) or why there is none.
`PrefetchedKey.result` collects it when the key is needed.

Only a process with a single thread forks (the desktop app before Qt, which is the one caller:
app.ui.shell.quick_start.before_qt); elsewhere, without fork, or if the helper gives no answer,
the key is read in this process as before, so the answer is always the one `read_key` gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass

from app.vault.system_keyring import (
    QuickUnlockUnavailable,
    Reason,
    read_key,
    reads_from_secret_service,
)

_CHUNK = 65_536


@dataclass(slots=True)
class PrefetchedKey:
    """A keyring read under way for `vault_id` (`pid`, `pipe`: the helper and its answer),
    or none (`pid` None): then `result` reads the key itself."""

    vault_id: str
    allow_prompt: bool
    pid: int | None = None
    pipe: int | None = None

    def result(self, vault_id: str) -> str | None:
        """What `read_key(vault_id, allow_prompt=...)` gives (the item's text, None, or
        QuickUnlockUnavailable), from the helper when it asked for this vault."""
        answer = self._collect()
        if answer is None or vault_id != self.vault_id:
            # No helper, it died, or the file now holds another vault: ask here.
            return read_key(vault_id, allow_prompt=self.allow_prompt)
        reason = answer.get("reason")
        if reason is not None:
            raise QuickUnlockUnavailable(Reason(reason), str(answer.get("message")))
        key = answer.get("key")
        return key if isinstance(key, str) else None

    def discard(self) -> None:
        """The key is not wanted after all (the vault turned out not to open with it): end
        the helper, which may be waiting on the keyring's unlock prompt."""
        helper = self._take()
        if helper is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(helper[0], signal.SIGTERM)
        _reap(*helper)

    def _collect(self) -> dict[str, str | None] | None:
        helper = self._take()
        if helper is None:
            return None
        chunks = []
        try:
            while chunk := os.read(helper[1], _CHUNK):
                chunks.append(chunk)
        finally:
            _reap(*helper)
        try:
            answer = json.loads(b"".join(chunks))
        except ValueError:  # nothing (the helper died) or cut short
            return None
        return answer if isinstance(answer, dict) else None

    def _take(self) -> tuple[int, int] | None:
        """The helper and its pipe, once: collected or discarded, it is gone (a second call
        of `result` reads the key itself)."""
        if self.pid is None or self.pipe is None:
            return None
        helper = self.pid, self.pipe
        self.pid = self.pipe = None
        return helper


def _reap(pid: int, pipe: int) -> None:
    os.close(pipe)
    os.waitpid(pid, 0)


def prefetch_key(vault_id: str, *, allow_prompt: bool) -> PrefetchedKey:
    """Start asking the keyring for `vault_id`'s key, in a helper process when this process
    can fork safely and the Secret Service is the keyring."""
    pending = PrefetchedKey(vault_id, allow_prompt)
    if not hasattr(os, "fork") or not reads_from_secret_service() or _threads() != 1:
        return pending
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper: answer, and leave without running any of the parent's exits
        try:
            os.close(read_end)
            _answer(write_end, vault_id, allow_prompt)
        finally:
            os._exit(0)
    os.close(write_end)
    pending.pid, pending.pipe = pid, read_end
    return pending


def _answer(pipe: int, vault_id: str, allow_prompt: bool) -> None:
    try:
        answer: dict[str, str | None] = {"key": read_key(vault_id, allow_prompt=allow_prompt)}
    except QuickUnlockUnavailable as error:
        answer = {"reason": error.reason.value, "message": str(error)}
    data = json.dumps(answer).encode()
    while data:
        data = data[os.write(pipe, data) :]


def _threads() -> int:
    """Threads in this process, Qt's and other libraries' included (fork copies only the
    calling one, and a lock another held would stay held in the helper)."""
    if sys.platform.startswith("linux"):
        try:
            return len(os.listdir("/proc/self/task"))
        except OSError:
            pass
    return threading.active_count()
