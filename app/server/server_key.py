"""One signing key for every node of a server: the database records whose it is.

Devices pin the server key from their enrollment code, so every node that shares a database
must sign with the same key. The first node to start records the public key in the
database; a node with another key (or none, when the database already has one) refuses to
start, saying which key the database expects, rather than sign what no device will accept.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from app.push.canonical import Ed25519PrivateKey, b64u_encode, public_key_bytes
from app.server.errors import ServerError
from app.server.keys import load_key_file, load_or_create_key_file
from app.server.store import Store


async def node_server_key(store: Store, path: Path) -> Ed25519PrivateKey:
    """The key in `path` (made there when neither it nor the database has one), once the
    database has it on record as this server's."""
    recorded = await store.recorded_server_key()
    if path.exists():
        key = load_key_file(path)
    elif recorded is None:
        key = load_or_create_key_file(path)
    else:
        raise ServerError(
            f"there is no server key at {path}, and this database belongs to the server key "
            f"spk={b64u_encode(recorded)}: copy that key file from a node that has it"
        )
    public = public_key_bytes(key)
    claimed = await store.claim_server_key(public)
    if not hmac.compare_digest(claimed, public):
        raise ServerError(
            f"the server key {path} (spk={b64u_encode(public)}) is not the one this database "
            f"was set up with (spk={b64u_encode(claimed)}); every node must use the same "
            "--server-key file"
        )
    return key
