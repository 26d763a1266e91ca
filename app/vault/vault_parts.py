"""What the parts of `Vault` kept in other modules may use of it, declared once.

`Vault` (app.vault.store) is one class assembled from mixins (store_password,
store_accounts, conflict_copies) so that no module grows past what one reader holds. The
mixins act on the vault's own state and steps: this base declares them for the type checker
only; at run time it adds nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.vault.content import VaultContent


class VaultParts:
    """The state and private steps of `Vault` its mixins use (see the module docstring)."""

    if TYPE_CHECKING:
        _file: Path
        _key: bytearray
        _document: dict[str, Any] | None
        _mutex: threading.RLock

        @property
        def content(self) -> VaultContent: ...
        @property
        def vault_id(self) -> str: ...
        def _header(self) -> dict[str, Any]: ...
        def _reload_if_changed(self, *, saving: bool) -> bool: ...
        def _save(
            self,
            content: VaultContent,
            document: dict[str, Any] | None,
            key: bytearray | None = None,
        ) -> None: ...
