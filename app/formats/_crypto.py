"""The key derivations and ciphers other apps' backups use, with bounds on their cost.

KDF parameters come from the file, so a hostile file could ask for a derivation that takes
hours or all the memory: anything beyond the bounds below is refused with ImportFormatError
before any work is done. A file can also ask for many derivations, each within bounds (an
Aegis vault listing a thousand password slots, an Authy file of encrypted tokens): every
derivation of one import draws on one `KdfBudget`, so their sum is bounded too. Decryption
helpers return None when the key is wrong (bad tag or padding) and raise ImportFormatError
when the parameters themselves are malformed.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.formats.errors import ImportFormatError

MAX_PBKDF2_ITERATIONS = 10_000_000
MAX_KDF_MEMORY = 1 << 30  # bytes, for scrypt and Argon2
MAX_SCRYPT_N = 1 << 20
MAX_SCRYPT_P = 16
MAX_ARGON2_ITERATIONS = 100
MAX_ARGON2_LANES = 64

# KDF work is counted in units of one scrypt step (scrypt does N x r x p of them), about
# 0.3 us on the project's 2-core machine. The other KDFs convert at the rates measured there:
# a PBKDF2 iteration is 1 unit with SHA-256, 2 with SHA-1 (a 32-byte key takes two of its
# 20-byte blocks) and with SHA-512 (a compression twice as costly); Argon2 is 3 units per KiB
# per pass. Real backups need far less than the budget: an Aegis slot 2^18 units, andOTP's
# PBKDF2 about 3 x 10^5, Stratum's Argon2 6 x 10^5, a 10,000-token Authy file 2 x 10^7.
MAX_IMPORT_KDF_WORK = 1 << 25  # about 10 s of key derivation here, per imported file
_PBKDF2_UNITS: dict[str, int] = {"sha1": 2, "sha256": 1, "sha512": 2}
_ARGON2_UNITS_PER_KIB = 3

HashName = Literal["sha1", "sha256", "sha512"]


class KdfBudget:
    """The key-derivation work one import may still do. Work over it is refused unstarted."""

    def __init__(self, limit: int = MAX_IMPORT_KDF_WORK) -> None:
        self._left = limit

    def check_ahead(self, work: int) -> None:
        """Refuse now when `work` more units will not fit: a file's whole plan, before any
        of it runs, so a file that would go over costs nothing rather than minutes."""
        if work > self._left:
            raise ImportFormatError(
                "the file asks for more key-derivation work than Keyfob does for one import "
                "(it is damaged, or not a real backup)"
            )

    def spend(self, work: int) -> None:
        self.check_ahead(work)
        self._left -= work


def pbkdf2_work(iterations: int, hash_name: HashName) -> int:
    """The budget units of a PBKDF2 derivation; ImportFormatError when out of bounds."""
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise ImportFormatError(
            f"the file asks for {iterations} PBKDF2 iterations; Keyfob accepts 1 to "
            f"{MAX_PBKDF2_ITERATIONS} (the file is damaged or not a real backup)"
        )
    return iterations * _PBKDF2_UNITS[hash_name]


def scrypt_work(n: int, r: int, p: int) -> int:
    """The budget units of a scrypt derivation; ImportFormatError when out of bounds."""
    power_of_two = n > 1 and n & (n - 1) == 0
    if not (
        power_of_two
        and n <= MAX_SCRYPT_N
        and r >= 1
        and 1 <= p <= MAX_SCRYPT_P
        and 128 * n * r <= MAX_KDF_MEMORY
    ):
        raise ImportFormatError(
            "the file asks for scrypt parameters Keyfob does not accept (N must be a power of "
            f"two up to 2^20, at most {MAX_KDF_MEMORY >> 20} MiB of memory)"
        )
    return n * r * p


def argon2_work(iterations: int, lanes: int, memory_kib: int) -> int:
    """The budget units of an Argon2id derivation; ImportFormatError when out of bounds."""
    if not (
        1 <= iterations <= MAX_ARGON2_ITERATIONS
        and 1 <= lanes <= MAX_ARGON2_LANES
        and 8 * lanes <= memory_kib <= MAX_KDF_MEMORY // 1024
    ):
        raise ImportFormatError("the file asks for Argon2 parameters Keyfob does not accept")
    return iterations * memory_kib * _ARGON2_UNITS_PER_KIB


def pbkdf2(
    password: bytes, salt: bytes, iterations: int, hash_name: HashName, *, budget: KdfBudget
) -> bytes:
    """PBKDF2-HMAC giving a 32-byte key."""
    budget.spend(pbkdf2_work(iterations, hash_name))
    return hashlib.pbkdf2_hmac(hash_name, password, salt, iterations, 32)


def scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, *, budget: KdfBudget) -> bytes:
    """scrypt giving a 32-byte key."""
    budget.spend(scrypt_work(n, r, p))
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password)


def argon2id(
    password: bytes,
    salt: bytes,
    iterations: int,
    lanes: int,
    memory_kib: int,
    *,
    budget: KdfBudget,
) -> bytes:
    """Argon2id giving a 32-byte key."""
    work = argon2_work(iterations, lanes, memory_kib)
    if len(salt) < 8:
        raise ImportFormatError("the file asks for Argon2 parameters Keyfob does not accept")
    budget.spend(work)
    return Argon2id(
        salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_kib
    ).derive(password)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def aes_gcm_open(
    key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes | None = None
) -> bytes | None:
    """AES-GCM decryption; None when the key is wrong or the data was changed."""
    if len(key) not in (16, 24, 32) or not 8 <= len(nonce) <= 128:
        raise ImportFormatError("the file is damaged: its encryption parameters are malformed")
    if len(ciphertext_and_tag) < 16:
        raise ImportFormatError("the file is damaged: the encrypted data is cut short")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext_and_tag, aad)
    except InvalidTag:
        return None


def aes_cbc_open(key: bytes, iv: bytes, ciphertext: bytes) -> bytes | None:
    """AES-CBC with PKCS#7 padding; None when the padding is wrong (usually a wrong key)."""
    if len(key) not in (16, 24, 32) or len(iv) != 16:
        raise ImportFormatError("the file is damaged: its encryption parameters are malformed")
    if not ciphertext or len(ciphertext) % 16:
        raise ImportFormatError(
            "the file is damaged: the encrypted data is not whole 16-byte blocks"
        )
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        return None
