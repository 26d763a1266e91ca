"""The password KDF: Argon2id from `cryptography`, its parameters, and the reader's bounds."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from app.vault.encoding import b64decode, b64encode, require_int
from app.vault.errors import VaultFormatError

ARGON2ID = "argon2id"
KEY_BYTES = 32
SALT_BYTES = 16

# Defaults for new password slots, measured on the project's 2-core machine (cryptography
# 50.0 / OpenSSL Argon2id, medians of 5-7 runs, unlock = one KDF run):
#   128 MiB x 8 passes, 1 lane:  0.65 s wall, 0.65 s CPU
#   128 MiB x 8 passes, 2 lanes: 0.46 s wall, 0.67 s CPU (OpenSSL runs lanes on threads)
#   128 MiB x 8 passes, 4 lanes: 0.39 s wall, 0.67 s CPU; 0.71 s wall with other jobs
#                                keeping both cores busy (load average 3)
#   for scale, busy: 64 MiB x 3: 0.15 s, 128 MiB x 6: 0.55 s, x 10: 0.88 s, 256 MiB x 4: 0.83 s
# 128 MiB x 8 passes x 4 lanes stays inside the 0.3-1.0 s unlock budget whether the machine
# is idle or busy, costs a guesser 0.67 CPU-seconds and 128 MiB per try, and asks only for
# memory any laptop can spare. `python -m tests.vault.bench_vault` measures it again.
DEFAULT_MEMORY_KIB = 128 * 1024
DEFAULT_ITERATIONS = 8
DEFAULT_LANES = 4

# What a reader accepts. A vault file is untrusted input: without these bounds a crafted file
# could make "open" allocate gigabytes or grind for hours before the password is even checked.
MIN_MEMORY_KIB = 8 * 1024
MAX_MEMORY_KIB = 1024 * 1024
MAX_ITERATIONS = 64
MAX_LANES = 16
MAX_WORK_KIB = 16 * 1024 * 1024  # memory x passes: 16x the default, ~10 CPU-seconds here
MIN_SALT_BYTES = 16
MAX_SALT_BYTES = 64


@dataclass(frozen=True, slots=True)
class KdfParams:
    """The parameters of one password slot's key derivation.

    `create` and `change_password` always draw a fresh salt, so a caller's params only choose
    the cost. Out-of-bounds values raise ValueError (the reader turns that into
    VaultFormatError).
    """

    name: str
    salt: bytes
    memory_kib: int = DEFAULT_MEMORY_KIB
    iterations: int = DEFAULT_ITERATIONS
    lanes: int = DEFAULT_LANES

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(problem)

    @classmethod
    def default(cls) -> KdfParams:
        """The parameters for a new vault (see the measurement above)."""
        return cls(ARGON2ID, os.urandom(SALT_BYTES))

    @classmethod
    def for_tests(cls) -> KdfParams:
        """The cheapest parameters a reader accepts: for tests and benchmarks only."""
        return cls(
            ARGON2ID, os.urandom(SALT_BYTES), memory_kib=MIN_MEMORY_KIB, iterations=1, lanes=1
        )

    def with_fresh_salt(self) -> KdfParams:
        return replace(self, salt=os.urandom(SALT_BYTES))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "salt": b64encode(self.salt),
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, obj: object) -> KdfParams:
        """Read a slot's "kdf" object; anything unusable is a VaultFormatError."""
        if not isinstance(obj, dict):
            raise VaultFormatError("the vault's key derivation settings are not an object")
        if obj.get("name") != ARGON2ID:
            raise VaultFormatError(
                "the vault uses a key derivation this Keyfob does not know: update Keyfob"
            )
        salt = b64decode(obj.get("salt"), "the key derivation salt")
        try:
            return cls(
                ARGON2ID,
                salt,
                memory_kib=require_int(obj.get("memory_kib"), "memory_kib"),
                iterations=require_int(obj.get("iterations"), "iterations"),
                lanes=require_int(obj.get("lanes"), "lanes"),
            )
        except ValueError as error:
            raise VaultFormatError(
                f"the vault's key derivation settings are unusable: {error}"
            ) from None


def _problem(params: KdfParams) -> str | None:
    numbers: tuple[object, ...] = (params.memory_kib, params.iterations, params.lanes)
    if any(isinstance(n, bool) or not isinstance(n, int) for n in numbers):
        return "memory, iterations and lanes must be whole numbers"
    salt: object = params.salt
    if not isinstance(salt, bytes):
        return "the salt must be bytes"
    checks = (
        (params.name == ARGON2ID, f"only {ARGON2ID} is supported"),
        (
            MIN_SALT_BYTES <= len(params.salt) <= MAX_SALT_BYTES,
            f"the salt must be {MIN_SALT_BYTES}-{MAX_SALT_BYTES} bytes",
        ),
        (
            MIN_MEMORY_KIB <= params.memory_kib <= MAX_MEMORY_KIB,
            f"memory must be {MIN_MEMORY_KIB}-{MAX_MEMORY_KIB} KiB",
        ),
        (1 <= params.iterations <= MAX_ITERATIONS, f"iterations must be 1-{MAX_ITERATIONS}"),
        (1 <= params.lanes <= MAX_LANES, f"lanes must be 1-{MAX_LANES}"),
        (
            params.memory_kib * params.iterations <= MAX_WORK_KIB,
            "memory x iterations is too large to unlock in reasonable time",
        ),
    )
    return next((message for ok, message in checks if not ok), None)


def derive_key(password: str, params: KdfParams) -> bytes:
    """The 256-bit key-encryption key for `password`.

    The password is NFC-normalised first, so the same password typed on systems that compose
    accents differently (macOS input gives NFD) opens the vault.
    """
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(secret)
