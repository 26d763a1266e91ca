"""Decrypt a Keyfob vault with nothing but Python and `cryptography` (pip install cryptography).

    python standalone_decrypt.py vault.json            # asks for the password
    python standalone_decrypt.py --objects vault.json  # accounts as one JSON object each

Prints the decrypted contents (secrets included!) as JSON. It deliberately imports nothing
from Keyfob, so it keeps working without it; FORMAT.md next to it explains each step.
"""

from __future__ import annotations

import base64
import getpass
import json
import sys
import unicodedata
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id


def canonical(obj: Any) -> bytes:
    """The associated data: the object as compact JSON with sorted keys and ASCII escapes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def decrypt_vault(raw: bytes, password: str) -> Any:
    vault = json.loads(raw)
    if vault.get("format") != "keyfob-vault" or vault.get("version") not in (1, 2):
        raise ValueError("not a Keyfob vault of format version 1 or 2")
    data = base64.b64decode(vault.pop("data"))  # ciphertext followed by the 16-byte tag
    header = vault["header"]
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    for slot in header["slots"]:
        if slot["type"] != "password":
            continue
        kdf = slot["kdf"]  # {"name": "argon2id", "salt", "memory_kib", "iterations", "lanes"}
        kek = Argon2id(
            salt=base64.b64decode(kdf["salt"]),
            length=32,
            iterations=kdf["iterations"],
            lanes=kdf["lanes"],
            memory_cost=kdf["memory_kib"],
        ).derive(secret)
        slot_aad = canonical({k: v for k, v in slot.items() if k not in ("nonce", "wrapped_key")})
        try:
            master_key = AESGCM(kek).decrypt(
                base64.b64decode(slot["nonce"]), base64.b64decode(slot["wrapped_key"]), slot_aad
            )
        except InvalidTag:
            continue  # not this slot's password
        # Everything in the file except "data" is the associated data of the content.
        plaintext = AESGCM(master_key).decrypt(
            base64.b64decode(header["nonce"]), data, canonical(vault)
        )
        return json.loads(plaintext)
    raise ValueError("wrong password")


def accounts_as_objects(content: dict[str, Any]) -> dict[str, Any]:
    table = content.get("accounts") or {"fields": [], "rows": []}
    rows = [dict(zip(table["fields"], row, strict=True)) for row in table["rows"]]
    return {**content, "accounts": rows}


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--objects"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0], "rb") as file:
        raw = file.read()
    # A terminal gets a hidden prompt; a pipe gives the password as its first line.
    password = getpass.getpass("Vault password: ") if sys.stdin.isatty() else sys.stdin.readline()
    try:
        content = decrypt_vault(raw, password.rstrip("\r\n"))
    except InvalidTag:
        print("the vault is damaged or was changed (authentication failed)", file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError) as error:
        print(f"cannot decrypt: {error}", file=sys.stderr)
        return 1
    if "--objects" in argv:
        content = accounts_as_objects(content)
    json.dump(content, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
