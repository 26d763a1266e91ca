"""The system keyring, for quick unlock: one key per vault, through the `keyring` library.

The Secret Service on Linux and the BSDs (GNOME Keyring, KWallet, KeePassXC), the macOS
Keychain, the Windows Credential Manager. Items have the service "Keyfob" and the vault's id
as their user name, and hold the text app.vault.keyring_slot.encode_item makes.

The only module that imports `keyring`, and only when a keyring is needed (the import costs
60 ms). The backend is chosen here rather than by keyring's discovery, which loads every entry
point; discovery runs only on Linux without a Secret Service, for any other system keyring
keyring knows. Every failure becomes QuickUnlockUnavailable in our own words: the library's
messages may hold anything.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from app.vault.errors import VaultError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "Keyfob"
# How long the keyring's own unlock dialog may stay open (only when a face allows one).
UNLOCK_PROMPT_SECONDS = 300
_SECRET_SERVICE_PLATFORMS = ("linux", "freebsd", "openbsd", "netbsd")

_log = logging.getLogger(__name__)
T = TypeVar("T")


class Reason(StrEnum):
    """Why the keyring did not open the vault (QuickUnlockUnavailable.reason)."""

    OFF = "off"  # the vault has no keyring slot
    EXPIRED = "expired"
    LOCKED = "locked"  # the keyring is locked (and was not to prompt)
    MISSING = "missing"  # the keyring has no item for this vault
    NO_KEYRING = "no-keyring"  # no keyring service on this computer or session
    REFUSED = "refused"  # the keyring answered with an error
    MISMATCH = "mismatch"  # the item's key does not open the slot
    DAMAGED = "damaged"  # the slot in the vault is malformed


class QuickUnlockUnavailable(VaultError):
    """The keyring cannot open the vault (or keep its key): ask for the password instead.

    The message is one line to show as it is; it never holds a key, a password or the
    keyring's own words."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def read_key(vault_id: str, *, allow_prompt: bool = False) -> str | None:
    """The vault's item, or None if the keyring has none. `allow_prompt` lets a locked
    keyring show its own unlock dialog; otherwise it is refused (Reason.LOCKED)."""
    return _with_keyring(lambda k: k.get_password(SERVICE, vault_id), allow_prompt=allow_prompt)


def store_key(vault_id: str, text: str) -> None:
    """Put the vault's item in the keyring, replacing any."""
    _with_keyring(lambda k: k.set_password(SERVICE, vault_id, text))


def delete_key(vault_id: str) -> bool:
    """Delete the vault's item; True if there was one."""
    return _with_keyring(lambda k: _delete(k, vault_id))


class _Keyring(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


def _delete(keyring: _Keyring, vault_id: str) -> bool:
    from keyring.errors import PasswordDeleteError

    if keyring.get_password(SERVICE, vault_id) is None:
        return False
    try:
        keyring.delete_password(SERVICE, vault_id)
    except PasswordDeleteError:
        return False  # gone in between
    return True


def _with_keyring(action: Callable[[_Keyring], T], *, allow_prompt: bool = False) -> T:
    """Run `action` on the platform's keyring; its failures become QuickUnlockUnavailable."""
    from keyring.errors import InitError, NoKeyringError

    try:
        return action(_platform_keyring(allow_prompt))
    except (InitError, NoKeyringError) as error:
        if not sys.platform.startswith(_SECRET_SERVICE_PLATFORMS):
            raise _unavailable(error) from None
        first = error
    except Exception as error:  # a keyring backend may raise anything at all
        raise _unavailable(error) from None
    try:
        fallback = _discovered_keyring()
    except Exception:  # discovery loads third-party entry points: anything may fail there
        _log.info("the keyring library found no usable keyring")
        fallback = None
    if fallback is None:
        raise _unavailable(first) from None
    try:
        return action(fallback)
    except Exception as error:
        raise _unavailable(error) from None


def _platform_keyring(allow_prompt: bool) -> _Keyring:
    if sys.platform == "darwin":
        from keyring.backends.macOS import Keyring

        return Keyring()  # type: ignore[no-untyped-call]  # keyring's constructors are untyped
    if sys.platform == "win32":
        from keyring.backends.Windows import WinVaultKeyring

        return WinVaultKeyring()  # type: ignore[no-untyped-call]
    try:
        service = _secret_service_class()
    except ImportError:  # SecretStorage is installed with keyring on Linux only
        from keyring.errors import InitError

        raise InitError("no SecretStorage") from None
    return service(allow_prompt)


def _discovered_keyring() -> KeyringBackend | None:
    """The keyring that keyring's discovery picks, if it is a system keyring: never a backend
    that writes keys to a file (keyrings.alt's), which would sit beside the vault."""
    import keyring
    from keyring.backends import SecretService, chainer, fail, null

    found = keyring.get_keyring()
    backends = found.backends if isinstance(found, chainer.ChainerBackend) else [found]
    # Not the Secret Service either: it was just tried, directly.
    refused = (fail.Keyring, null.Keyring, SecretService.Keyring)
    for backend in backends:
        if isinstance(backend, refused) or not type(backend).__module__.startswith(
            "keyring.backends."
        ):
            return None
    return found if backends else None


def _unavailable(error: BaseException) -> QuickUnlockUnavailable:
    """One line for a keyring failure: our own words (the library's may be anything)."""
    from keyring.errors import InitError, KeyringLocked, NoKeyringError

    _log.info("the system keyring failed: %s", type(error).__name__)
    if isinstance(error, KeyringLocked):
        return QuickUnlockUnavailable(Reason.LOCKED, "the system keyring is locked")
    if isinstance(error, InitError | NoKeyringError):
        return QuickUnlockUnavailable(
            Reason.NO_KEYRING, "no system keyring is running (such as GNOME Keyring or KWallet)"
        )
    return QuickUnlockUnavailable(
        Reason.REFUSED, f"the system keyring refused ({type(error).__name__})"
    )


@functools.cache
def _secret_service_class() -> Callable[[bool], _Keyring]:
    """keyring's Secret Service backend, made on first use, that refuses a locked keyring
    instead of prompting unless told to, and labels its item for people."""
    import secretstorage
    from keyring.backends import SecretService
    from keyring.errors import InitError, KeyringLocked
    from secretstorage.exceptions import SecretStorageException

    class QuickUnlockSecretService(SecretService.Keyring):
        appid = SERVICE

        def __init__(self, allow_prompt: bool) -> None:
            super().__init__()  # type: ignore[no-untyped-call]  # keyring's is untyped
            self.allow_prompt = allow_prompt

        def get_preferred_collection(self) -> secretstorage.Collection:
            try:
                bus = secretstorage.dbus_init()
            except SecretStorageException:
                raise InitError("no Secret Service") from None
            try:
                if self.allow_prompt:
                    collection = secretstorage.get_default_collection(bus)
                else:
                    collection = secretstorage.Collection(bus)  # the default; never made
                if collection.is_locked() and self.allow_prompt:
                    collection.unlock(timeout=UNLOCK_PROMPT_SECONDS)
                if collection.is_locked():
                    raise KeyringLocked("locked")
            except BaseException as error:
                bus.close()
                if isinstance(error, SecretStorageException):
                    raise InitError("no default collection") from None
                raise
            return collection

        def set_password(self, service: str, username: str, password: str) -> None:
            # keyring's own, with a label that says what the item is to someone looking in
            # Seahorse or KeePassXC (keyring's calls every item a password).
            collection = self.get_preferred_collection()
            attributes = self._query(service, username, application=self.appid)
            label = f"Keyfob quick unlock key (vault {username})"
            with contextlib.closing(collection.connection):
                collection.create_item(label, attributes, password.encode(), replace=True)

    return QuickUnlockSecretService
