"""The key derivations and ciphers other apps' backups use, with bounds on their cost.

KDF parameters come from the file, so a hostile file could ask for a derivation that takes
hours or all the memory: anything beyond the bounds below is refused with ImportFormatError
before any work is done. Decryption helpers return None when the key is wrong (bad tag or
padding) and raise ImportFormatError when the parameters themselves are malformed.
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

HashName = Literal["sha1", "sha256", "sha512"]


def pbkdf2(password: bytes, salt: bytes, iterations: int, hash_name: HashName) -> bytes:
    """PBKDF2-HMAC giving a 32-byte key."""
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise ImportFormatError(
            f"the file asks for {iterations} PBKDF2 iterations; Keyfob accepts 1 to "
            f"{MAX_PBKDF2_ITERATIONS} (the file is damaged or not a real backup)"
        )
    return hashlib.pbkdf2_hmac(hash_name, password, salt, iterations, 32)


def scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    """scrypt giving a 32-byte key."""
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
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password)


def argon2id(password: bytes, salt: bytes, iterations: int, lanes: int, memory_kib: int) -> bytes:
    """Argon2id giving a 32-byte key."""
    if not (
        1 <= iterations <= MAX_ARGON2_ITERATIONS
        and 1 <= lanes <= MAX_ARGON2_LANES
        and 8 * lanes <= memory_kib <= MAX_KDF_MEMORY // 1024
        and len(salt) >= 8
    ):
        raise ImportFormatError("the file asks for Argon2 parameters Keyfob does not accept")
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
