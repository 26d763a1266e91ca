"""The system keyring, for quick unlock: one key per vault, through the `keyring` library.

The Secret Service on Linux and the BSDs (GNOME Keyring, KWallet, KeePassXC), the macOS
Keychain, the Windows Credential Manager. Items have the service "Keyfob" and the vault's id
as their user name, and hold the text app.vault.keyring_slot.encode_item makes.

The only module that imports `keyring`, and only when a key is stored or deleted (the import
costs 25-60 ms, most of it the libraries keyring's base module loads). The backend is chosen
here rather than by keyring's discovery, which loads every entry point; discovery runs only on
Linux without a Secret Service, for any other system keyring keyring knows.

Reading a key, which every quick start and every CLI command on a quick-unlock vault does, goes
to the Secret Service through SecretStorage directly: the library keyring's Secret Service
backend itself uses, the same collection and the same item attributes (`_attributes`, which
the backend's writes use too), without loading keyring. Every failure becomes
QuickUnlockUnavailable in our own words: the libraries' messages may hold anything.
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
    import secretstorage
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
    if reads_from_secret_service():
        try:
            return _read_from_secret_service(vault_id, allow_prompt)
        except _NoSecretService as error:
            # keyring's discovery may know another system keyring (KWallet's own API).
            return _with_keyring(
                lambda k: k.get_password(SERVICE, vault_id), first_failure=error.as_init_error()
            )
    return _with_keyring(lambda k: k.get_password(SERVICE, vault_id), allow_prompt=allow_prompt)


def reads_from_secret_service() -> bool:
    """Whether `read_key` asks the Secret Service first (through SecretStorage)."""
    return sys.platform.startswith(_SECRET_SERVICE_PLATFORMS)


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


def _with_keyring(
    action: Callable[[_Keyring], T],
    *,
    allow_prompt: bool = False,
    first_failure: Exception | None = None,
) -> T:
    """Run `action` on the platform's keyring; its failures become QuickUnlockUnavailable.
    `first_failure`: the Secret Service was already tried and is not there; go straight to
    keyring's discovery."""
    from keyring.errors import InitError, NoKeyringError

    first: Exception
    if first_failure is not None:
        first = first_failure
    else:
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

    if isinstance(error, KeyringLocked):
        return _locked()
    if isinstance(error, InitError | NoKeyringError):
        _log.info("the system keyring failed: %s", type(error).__name__)
        return QuickUnlockUnavailable(
            Reason.NO_KEYRING, "no system keyring is running (such as GNOME Keyring or KWallet)"
        )
    return _refused(error)


def _locked() -> QuickUnlockUnavailable:
    _log.info("the system keyring is locked")
    return QuickUnlockUnavailable(Reason.LOCKED, "the system keyring is locked")


def _refused(error: BaseException) -> QuickUnlockUnavailable:
    _log.info("the system keyring failed: %s", type(error).__name__)
    return QuickUnlockUnavailable(
        Reason.REFUSED, f"the system keyring refused ({type(error).__name__})"
    )


# --- the Secret Service, through SecretStorage ------------------------------------------------


class _NoSecretService(Exception):
    """No Secret Service answers on the session bus, or it has no default collection."""

    def as_init_error(self) -> Exception:
        from keyring.errors import InitError

        return InitError("no Secret Service")


class _CollectionLocked(Exception):
    """The default collection is locked (and was not to prompt, or the prompt was dismissed)."""


def _attributes(service: str, username: str) -> dict[str, str]:
    """An item's lookup attributes, in keyring's default scheme: what keyring's backend finds
    and deletes by, what `set_password` below stores, what `_read_from_secret_service` reads."""
    return {"username": username, "service": service}


def _open_collection(allow_prompt: bool) -> secretstorage.Collection:
    """The default collection, unlocked, on a new connection (the caller closes it).
    _NoSecretService or _CollectionLocked if it cannot be had."""
    import secretstorage
    from secretstorage.exceptions import SecretStorageException

    try:
        bus = secretstorage.dbus_init()
    except SecretStorageException:
        raise _NoSecretService from None
    try:
        if allow_prompt:
            collection = secretstorage.get_default_collection(bus)
        else:
            collection = secretstorage.Collection(bus)  # the default; never made
        if collection.is_locked() and allow_prompt:
            collection.unlock(timeout=UNLOCK_PROMPT_SECONDS)
        if collection.is_locked():
            raise _CollectionLocked
    except BaseException as error:
        bus.close()
        if isinstance(error, SecretStorageException):
            raise _NoSecretService from None
        raise
    return collection


def _read_from_secret_service(vault_id: str, allow_prompt: bool) -> str | None:
    """keyring's SecretService get_password, without keyring: the first item with the
    vault's attributes in the default collection."""
    try:
        collection = _open_collection(allow_prompt)
    except _CollectionLocked:
        raise _locked() from None
    try:
        with contextlib.closing(collection.connection):
            for item in collection.search_items(_attributes(SERVICE, vault_id)):
                if item.is_locked() and allow_prompt:
                    item.unlock()
                if item.is_locked():
                    raise _locked()
                return item.get_secret().decode("utf-8")
    except QuickUnlockUnavailable:
        raise
    except Exception as error:  # SecretStorage and jeepney may raise anything at all
        raise _refused(error) from None
    return None


@functools.cache
def _secret_service_class() -> Callable[[bool], _Keyring]:
    """keyring's Secret Service backend, made on first use, that refuses a locked keyring
    instead of prompting unless told to, and labels its item for people."""
    from keyring.backends import SecretService
    from keyring.errors import InitError, KeyringLocked

    class QuickUnlockSecretService(SecretService.Keyring):
        appid = SERVICE

        def __init__(self, allow_prompt: bool) -> None:
            super().__init__()  # type: ignore[no-untyped-call]  # keyring's is untyped
            self.allow_prompt = allow_prompt

        def get_preferred_collection(self) -> secretstorage.Collection:
            try:
                return _open_collection(self.allow_prompt)
            except _NoSecretService:
                raise InitError("no Secret Service") from None
            except _CollectionLocked:
                raise KeyringLocked("locked") from None

        def set_password(self, service: str, username: str, password: str) -> None:
            # keyring's own, with a label that says what the item is to someone looking in
            # Seahorse or KeePassXC (keyring's calls every item a password).
            collection = self.get_preferred_collection()
            attributes = {**_attributes(service, username), "application": self.appid}
            label = f"Keyfob quick unlock key (vault {username})"
            with contextlib.closing(collection.connection):
                collection.create_item(label, attributes, password.encode(), replace=True)

    return QuickUnlockSecretService
