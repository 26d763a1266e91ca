"""Starting straight into the list when the system keyring can open the vault.

On start, a vault with a keyring slot (app.vault.quick_unlock) is opened with the key in the
system keyring before Qt loads (`before_qt`, from app.__main__): the keyring library, the
crypto and the vault load without PySide's import hook, which reads the source of every
module imported after PySide (about 10 ms of a quick start). When it works the list appears
directly, with no unlock window in between. When it does not (expired, the keyring locked,
missing or refusing), the unlock window says why in one line and asks for the password as
usual. A vault without the slot costs one read of its header here, nothing more: the
keyring and the crypto are only loaded for vaults that have quick unlock on.

After every unlock with the password, the slot is made anew (`renew`), so the days count
from the last time the password was entered; that runs off the GUI thread (the keyring is
a D-Bus call and the renewal a save).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import KeyfobError
from app.vault.quick_unlock_probe import KeyringSlotHint, has_keyring_slot, keyring_slot_hint

if TYPE_CHECKING:
    # Only in annotations: this module runs before Qt loads (see above).
    from PySide6.QtCore import QObject

    from app.vault.keyring_prefetch import PrefetchedKey
    from app.vault.store import Vault

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QuickStart:
    """What trying the keyring gave: the vault, or (maybe) the one line saying why not."""

    vault: Vault | None = None
    why_not: str | None = None
    # Expiry is quick unlock working as set up, not a fault: said without the error colour.
    expected: bool = False


def before_qt(argv: list[str]) -> QuickStart | None:
    """What the keyring gave for the vault `keyfob` was started for (`argv`: the desktop's
    arguments), tried before Qt loads; None for the self-test, which opens its own vault."""
    from app.handoff import parse_arguments
    from app.vault.paths import resolve_vault_path

    arguments = parse_arguments(argv)
    if arguments.self_test:
        return None
    return try_keyring(resolve_vault_path(arguments.vault), prefetch=True)


def try_keyring(vault_path: Path, *, prefetch: bool = False) -> QuickStart:
    """Open the vault with the system keyring if quick unlock is on for it. `prefetch`: ask
    the keyring in a helper process while the crypto and the vault's modules load (only
    before Qt, while the process has one thread; app.vault.keyring_prefetch)."""
    hint = keyring_slot_hint(vault_path)
    if hint is None:
        return QuickStart()
    prefetched = _prefetch(hint) if prefetch else None
    try:
        return _open(vault_path, prefetched)
    finally:
        if prefetched is not None:
            prefetched.discard()  # when the opening stopped before it needed the key


def _open(vault_path: Path, prefetched: PrefetchedKey | None) -> QuickStart:
    from app.vault.quick_unlock import QuickUnlockUnavailable, Reason, open_with_keyring

    try:
        # The keyring may show its own unlock prompt (a locked login keyring): that is the
        # user's choice to make, as KeePassXC and browsers let it.
        vault = open_with_keyring(vault_path, allow_prompt=True, prefetched=prefetched)
        return QuickStart(vault=vault)
    except QuickUnlockUnavailable as error:
        if error.reason is Reason.OFF:
            return QuickStart()
        return QuickStart(why_not=_sentence(str(error)), expected=error.reason is Reason.EXPIRED)
    except KeyfobError as error:  # the file itself: the password path will say it again
        _log.info("quick unlock did not open the vault: %s", error)
        return QuickStart()


def _prefetch(hint: KeyringSlotHint) -> PrefetchedKey | None:
    """Ask the keyring now, unless the slot has expired or is malformed: a locked keyring
    would show its unlock prompt for nothing."""
    from app.vault.keyring_prefetch import prefetch_key
    from app.vault.preferences import Preferences

    if hint.vault_id is None or not hint.worth_asking(
        Preferences.default().quick_unlock_days, time.time()
    ):
        return None
    return prefetch_key(hint.vault_id, allow_prompt=True)


def _sentence(reason: str) -> str:
    """One line above the password field: "Quick unlock did not open the vault: the system
    keyring is locked." (the field itself says what to do)."""
    text = reason.rstrip(".")
    if not text.lower().startswith("quick unlock"):
        text = f"quick unlock did not open the vault: {text}"
    return text[:1].upper() + text[1:] + "."


def renew_after_password(vault: Vault, owner: QObject) -> None:
    """The password was just entered: make the keyring slot anew (if there is one)."""
    if not has_keyring_slot(vault.path):
        return
    from app.ui.common.worker import run_in_thread
    from app.vault.quick_unlock import renew

    def failed(error: BaseException) -> None:
        # The old slot stays and expires as it would have: worth a log line, not a dialog.
        _log.warning("quick unlock could not be renewed: %s", error)

    run_in_thread(lambda: renew(vault), lambda _renewed: None, failed, owner=owner)
