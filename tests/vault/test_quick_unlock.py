"""Quick unlock (app.vault.quick_unlock) against a real Secret Service: GNOME Keyring on a
private D-Bus bus (tests/secret_service.py), the real vault on disk, an injected clock."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.vault.envelope import parse, unwrap_with_password
from app.vault.errors import VaultAuthError
from app.vault.keyring_prefetch import PrefetchedKey
from app.vault.keyring_slot import decode_item
from app.vault.preferences import Preferences
from app.vault.quick_unlock import (
    RENEW_AFTER_SECONDS,
    QuickUnlockUnavailable,
    Reason,
    disable,
    enable,
    forget_key,
    open_with_keyring,
    opened_by_keyring,
    renew,
    status,
)
from app.vault.quick_unlock_probe import keyring_slot_hint
from app.vault.store import Vault
from tests.secret_service import SecretService, require_programs, running_secret_service
from tests.vault.conftest import PASSWORD, account, cheap

DAY = 86_400
T0 = 1_800_000_000  # the injected "now" of the password entry


@pytest.fixture
def keyring_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SecretService]:
    """A running keyring that this test process (only) talks to; preferences of its own."""
    require_programs()
    monkeypatch.setenv("KEYFOB_CONFIG_DIR", str(tmp_path / "config"))
    with running_secret_service() as service:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        yield service


@pytest.fixture
def quick(vault: Vault, keyring_service: SecretService) -> Vault:
    """A vault with an account, quick unlock turned on at T0."""
    vault.add_accounts([account(issuer="GitHub")])
    enable(vault, now=T0)
    return vault


def _reason(action: Callable[[], object]) -> Reason:
    with pytest.raises(QuickUnlockUnavailable) as refused:
        action()
    message = str(refused.value)
    assert message
    assert "\n" not in message
    return refused.value.reason


def _keyring_slots(path: Path) -> list[dict[str, object]]:
    slots = json.loads(path.read_bytes())["header"]["slots"]
    return [slot for slot in slots if slot["type"] == "keyring"]


def test_enable_then_the_keyring_opens_the_vault(quick: Vault) -> None:
    opened = open_with_keyring(quick.path, now=T0 + 60)

    assert opened_by_keyring(opened)
    assert not opened_by_keyring(quick)
    assert opened.content == quick.content
    assert opened.vault_id == quick.vault_id
    # It is a whole vault: a change made through it is saved and opens with the password.
    opened.add_accounts([account(issuer="GitLab")])
    issuers = {a.issuer for a in Vault.open(quick.path, PASSWORD).content.accounts}
    assert issuers == {"GitHub", "GitLab"}


def test_reading_the_key_leaves_the_keyring_library_unloaded(quick: Vault) -> None:
    """Every quick start and every CLI command reads the key: straight from the Secret
    Service through SecretStorage, without keyring's import (25-60 ms of each start)."""
    opener = (
        "import sys; from pathlib import Path; from app.vault.quick_unlock import "
        f"open_with_keyring; vault = open_with_keyring(Path(sys.argv[1]), now={T0 + 60}); "
        "print(len(vault.content.accounts), 'keyring' in sys.modules)"
    )
    assert _fresh(opener, str(quick.path)) == ["1", "False"]


def _fresh(script: str, *arguments: str) -> list[str]:
    """The words a script run in a fresh (single-threaded) interpreter printed."""
    result = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.split()


def test_the_slot_is_as_documented_and_the_item_holds_only_its_key(
    quick: Vault, keyring_service: SecretService
) -> None:
    (slot,) = _keyring_slots(quick.path)
    assert set(slot) == {"type", "id", "created", "nonce", "wrapped_key"}
    assert slot["created"] == T0

    stored = keyring_service.lookup(quick.vault_id)
    assert stored is not None
    assert len(decode_item(stored)) == 32
    # Neither the password nor the master key, in any usual spelling, is in the keyring.
    master_key = bytes(unwrap_with_password(parse(quick.path.read_bytes()), PASSWORD))
    everything = keyring_service.listing()
    assert quick.vault_id in everything  # the listing does show the item
    for spelling in (
        PASSWORD,
        base64.b64encode(master_key).decode(),
        base64.urlsafe_b64encode(master_key).decode(),
        master_key.hex(),
        master_key.decode("latin-1"),
    ):
        assert spelling not in everything


def test_no_key_or_password_reaches_the_logs(
    quick: Vault, keyring_service: SecretService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    open_with_keyring(quick.path, now=T0 + 60)
    assert renew(Vault.open(quick.path, PASSWORD), now=T0 + DAY)  # a new key stored
    stored = keyring_service.lookup(quick.vault_id)
    keyring_service.lock()
    with pytest.raises(QuickUnlockUnavailable):  # a failure, which is logged
        open_with_keyring(quick.path, now=T0 + DAY)

    assert "the system keyring is locked" in caplog.text  # what failed, nothing more
    master_key = bytes(unwrap_with_password(parse(quick.path.read_bytes()), PASSWORD))
    assert stored is not None
    for secret in (PASSWORD, stored, base64.b64encode(master_key).decode(), master_key.hex()):
        assert secret not in caplog.text


def test_it_expires_after_the_days_set(quick: Vault, tmp_path: Path) -> None:
    assert open_with_keyring(quick.path, now=T0 + 14 * DAY - 1).content == quick.content
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 14 * DAY)) is Reason.EXPIRED

    # The preference is read when the vault is opened, not when quick unlock was turned on.
    Preferences(tmp_path / "config").set_quick_unlock_days(3)
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 3 * DAY)) is Reason.EXPIRED
    assert open_with_keyring(quick.path, now=T0 + 3 * DAY - 1).content == quick.content
    state = status(quick.path, now=T0 + 3 * DAY)
    assert (state.enabled, state.days, state.expires, state.expired) == (
        True,
        3,
        T0 + 3 * DAY,
        True,
    )


def test_a_password_unlock_renews_the_days(quick: Vault) -> None:
    assert renew(quick, now=T0 + 10 * DAY)
    assert open_with_keyring(quick.path, now=T0 + 20 * DAY).content == quick.content
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 24 * DAY)) is Reason.EXPIRED


def test_renewing_soon_after_or_from_a_keyring_unlock_changes_nothing(quick: Vault) -> None:
    before = quick.path.read_bytes()
    assert not renew(quick, now=T0 + RENEW_AFTER_SECONDS - 1)
    assert not renew(open_with_keyring(quick.path, now=T0 + 2 * DAY), now=T0 + 2 * DAY)
    assert quick.path.read_bytes() == before


def test_a_vault_without_quick_unlock_is_not_renewed(
    vault: Vault, keyring_service: SecretService
) -> None:
    before = vault.path.read_bytes()
    assert not renew(vault, now=T0)
    assert vault.path.read_bytes() == before
    assert keyring_service.lookup(vault.vault_id) is None
    assert _reason(lambda: open_with_keyring(vault.path)) is Reason.OFF


def test_a_deleted_item_is_said_and_the_password_still_opens(
    quick: Vault, keyring_service: SecretService
) -> None:
    keyring_service.clear(quick.vault_id)
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.MISSING
    assert status(quick.path, now=T0, probe=True).in_keyring is False
    password_opened = Vault.open(quick.path, PASSWORD)
    # The next password unlock puts a new key in (a day later: a renewal is due).
    assert renew(password_opened, now=T0 + DAY)
    assert keyring_service.lookup(quick.vault_id) is not None
    assert open_with_keyring(quick.path, now=T0 + DAY).content == quick.content


def test_a_locked_keyring_is_a_reason_to_ask_for_the_password(
    quick: Vault, keyring_service: SecretService
) -> None:
    keyring_service.lock()
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.LOCKED
    assert Vault.open(quick.path, PASSWORD).content == quick.content


def test_a_key_that_does_not_fit_is_refused(quick: Vault, keyring_service: SecretService) -> None:
    keyring_service.store(quick.vault_id, base64.b64encode(bytes(32)).decode())
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.MISMATCH
    keyring_service.store(quick.vault_id, "my own password, not a key")
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.MISMATCH


def test_moving_the_creation_time_in_the_file_opens_nothing(quick: Vault) -> None:
    """Whoever can write the vault file cannot stretch quick unlock past its days."""
    document = json.loads(quick.path.read_bytes())
    for slot in document["header"]["slots"]:
        if slot["type"] == "keyring":
            slot["created"] = T0 + 30 * DAY
    quick.path.write_text(json.dumps(document))
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 40 * DAY)) is Reason.MISMATCH


def test_without_a_keyring_the_reason_says_so(
    quick: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.NO_KEYRING


def test_a_password_change_drops_the_slot_and_the_old_key_opens_nothing(
    quick: Vault, keyring_service: SecretService
) -> None:
    old_item = keyring_service.lookup(quick.vault_id)
    assert old_item is not None
    quick.change_password("a new password").forget()

    assert _keyring_slots(quick.path) == []
    assert not status(quick.path).enabled
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.OFF
    assert forget_key(quick.vault_id)
    assert keyring_service.lookup(quick.vault_id) is None
    keyring_service.store(quick.vault_id, old_item)  # the old key put back changes nothing
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.OFF


def test_disable_removes_the_slot_and_the_key(quick: Vault, keyring_service: SecretService) -> None:
    assert disable(quick)
    assert _keyring_slots(quick.path) == []
    assert keyring_service.lookup(quick.vault_id) is None
    assert not disable(quick)  # twice is fine
    assert Vault.open(quick.path, PASSWORD).content == quick.content


def test_disable_by_path_removes_the_key(quick: Vault, keyring_service: SecretService) -> None:
    assert disable(quick.path)
    assert keyring_service.lookup(quick.vault_id) is None
    assert _reason(lambda: open_with_keyring(quick.path, now=T0 + 60)) is Reason.MISSING


def test_enable_again_replaces_the_slot_and_the_key(
    quick: Vault, keyring_service: SecretService
) -> None:
    first = keyring_service.lookup(quick.vault_id)
    (old_slot,) = _keyring_slots(quick.path)
    enable(quick, now=T0 + DAY)
    (new_slot,) = _keyring_slots(quick.path)
    assert new_slot["id"] != old_slot["id"]
    assert keyring_service.lookup(quick.vault_id) != first
    assert open_with_keyring(quick.path, now=T0 + DAY).content == quick.content


def test_enabling_needs_a_password_entry(quick: Vault) -> None:
    by_keyring = open_with_keyring(quick.path, now=T0 + 60)
    before = quick.path.read_bytes()
    with pytest.raises(VaultAuthError):
        enable(by_keyring, now=T0 + 60)
    with pytest.raises(VaultAuthError):
        enable(by_keyring, "not the password", now=T0 + 60)
    assert quick.path.read_bytes() == before
    enable(by_keyring, PASSWORD, now=T0 + DAY)
    assert status(quick.path, now=T0 + DAY).created == T0 + DAY


def test_a_locked_keyring_leaves_the_vault_unchanged_when_enabling(
    vault: Vault, keyring_service: SecretService
) -> None:
    keyring_service.lock()
    before = vault.path.read_bytes()
    assert _reason(lambda: enable(vault, now=T0)) is Reason.LOCKED
    assert vault.path.read_bytes() == before
    assert not status(vault.path).enabled


# --- asking the keyring in a helper process (app.vault.keyring_prefetch) -------------------

# Runs in a fresh, single-threaded interpreter, as `keyfob` is before Qt loads: asks in a
# helper, then prints the answer and whether this process loaded SecretStorage itself.
_PREFETCH = """
import os, signal, sys
from app.vault.keyring_prefetch import PrefetchedKey, prefetch_key
from app.vault.system_keyring import QuickUnlockUnavailable
vault_id, how = sys.argv[1], sys.argv[2]
pending = prefetch_key(vault_id, allow_prompt=False)
if how == "helper-dies":  # a helper that ends without an answer
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.close(write_end)
    pending.result(vault_id)  # collect the real one first
    pending = PrefetchedKey(vault_id, False, pid, read_end)
if how == "discard":  # the opening stopped before it needed the key
    helper = pending.pid
    pending.discard()
    try:
        os.waitpid(helper, os.WNOHANG)
    except ChildProcessError:  # ended and reaped: no helper left behind
        print("reaped")
    sys.exit()
asked = pending.pid is not None
try:
    answer = pending.result(vault_id)
except QuickUnlockUnavailable as error:
    answer = error.reason.value
print(asked, "secretstorage" in sys.modules, answer)
"""


def _prefetch(vault_id: str, how: str = "plain") -> list[str]:
    return _fresh(_PREFETCH, vault_id, how)


def test_a_helper_process_asks_the_keyring(quick: Vault, keyring_service: SecretService) -> None:
    item = keyring_service.lookup(quick.vault_id)
    # Asked by the helper: this process never loaded SecretStorage.
    assert _prefetch(quick.vault_id) == ["True", "False", item]
    keyring_service.lock()
    assert _prefetch(quick.vault_id) == ["True", "False", "locked"]


def test_without_an_answer_from_the_helper_the_key_is_read_here(
    quick: Vault, keyring_service: SecretService
) -> None:
    item = keyring_service.lookup(quick.vault_id)
    assert _prefetch(quick.vault_id, "helper-dies") == ["True", "True", item]


def test_a_helper_no_longer_needed_is_ended(quick: Vault) -> None:
    assert _prefetch(quick.vault_id, "discard") == ["reaped"]


def test_a_process_with_threads_asks_the_keyring_itself(
    quick: Vault, keyring_service: SecretService
) -> None:
    """fork copies only the calling thread: a lock another one held would stay held."""
    from app.vault.keyring_prefetch import prefetch_key

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        pending = prefetch_key(quick.vault_id, allow_prompt=False)
    finally:
        stop.set()
        other.join()
    assert pending.pid is None
    assert pending.result(quick.vault_id) == keyring_service.lookup(quick.vault_id)


def test_the_helper_is_not_asked_for_another_vault(quick: Vault, tmp_path: Path) -> None:
    """The file was replaced by another vault between the look at its header and the open."""
    other = Vault.create(tmp_path / "other.json", PASSWORD, kdf=cheap())
    enable(other, now=T0)
    opened = open_with_keyring(
        other.path, now=T0 + 60, prefetched=PrefetchedKey(quick.vault_id, allow_prompt=False)
    )
    assert opened.vault_id == other.vault_id


def test_the_header_hint_says_when_asking_the_keyring_is_worth_it(
    quick: Vault, tmp_path: Path
) -> None:
    hint = keyring_slot_hint(quick.path)
    assert hint is not None
    assert hint.vault_id == quick.vault_id
    assert hint.worth_asking(14, T0 + 14 * DAY - 1)
    assert not hint.worth_asking(14, T0 + 14 * DAY)  # expired
    document = json.loads(quick.path.read_bytes())
    for slot in document["header"]["slots"]:
        if slot["type"] == "keyring":
            slot["created"] = "yesterday"
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(document))
    hint = keyring_slot_hint(damaged)  # there is a slot: quick unlock says what is wrong
    assert hint is not None
    assert not hint.worth_asking(14, T0 + 60)
    disable(quick)
    assert keyring_slot_hint(quick.path) is None
