"""FreeOTP: the 1.x `tokens.xml` (also FreeOTP+'s internal file) and the 2.x encrypted backup.

1.x keeps one token JSON per <string> (secret as signed bytes) and `tokenOrder`; it stores
HOTP counters as they are (one below the next code's counter) and Keyfob keeps them so.

2.x's `externalBackup.xml` is a Java-serialized HashMap<String, String>: `masterKey` holds an
AES key wrapped with PBKDF2(password) + AES-GCM; `<uuid>` holds the token's secret wrapped
with the master key; `<uuid>-token` the token's other fields. The AAD of each AES-GCM
operation is the key's `mToken` name ("AES", "HmacSHA1", ...).
"""

from __future__ import annotations

from app.core.account import Account, OtpType
from app.formats import _crypto, _javaser
from app.formats._common import (
    JsonObject,
    as_object,
    opt_str,
    otp_settings,
    req_int,
    req_str,
    signed_bytes,
)
from app.formats.base import Entries, EntryError, FileImporter, raw_json
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView, parse_json

_KDFS: dict[str, _crypto.HashName] = {
    "PBKDF2withHmacSHA1": "sha1",
    "PBKDF2withHmacSHA256": "sha256",
    "PBKDF2withHmacSHA512": "sha512",
}


def token_account(token: JsonObject, secret: bytes) -> Account:
    """One FreeOTP / FreeOTP+ token (the JSON both apps share) as an account."""
    kind = req_str(token, "type").lower()
    if kind not in ("totp", "hotp"):
        raise EntryError("unsupported type")
    issuer = opt_str(token, "issuerAlt") or opt_str(token, "issuerExt")
    issuer = issuer or opt_str(token, "issuerInt")
    if kind == "totp" and issuer == "Steam":
        kind = "steam"  # FreeOTP has no Steam type; its users name such tokens "Steam"
    return Account(
        secret=secret,
        **otp_settings(token, OtpType(kind), algorithm_key="algo", counter_default=0),
        issuer=issuer,
        name=opt_str(token, "labelAlt") or opt_str(token, "label"),
    )


def plain_token_account(value: object) -> Account:
    token = as_object(value, "the token")
    return token_account(token, signed_bytes(token.get("secret"), "'secret'"))


def token_key(token: JsonObject) -> str:
    """The key FreeOTP's tokenOrder uses for a token: "issuer:label", or the label."""
    issuer, label = token.get("issuerInt") or token.get("issuerExt"), token.get("label")
    label = label if isinstance(label, str) else ""
    return f"{issuer}:{label}" if isinstance(issuer, str) and issuer else label


def ordered(tokens: list[tuple[str, object]], order_json: str | None) -> list[object]:
    """Tokens in tokenOrder's order (those it does not name last, as found)."""
    order: list[object] = []
    if order_json is not None:
        try:
            parsed = parse_json(order_json)
        except ValueError:
            parsed = None
        order = parsed if isinstance(parsed, list) else []
    rank = {key: index for index, key in enumerate(order) if isinstance(key, str)}
    positions = sorted(range(len(tokens)), key=lambda i: rank.get(tokens[i][0], len(rank) + i))
    return [tokens[i][1] for i in positions]


def _read_v1(prefs: dict[str, str], entries: Entries) -> None:
    tokens: list[tuple[str, object]] = []
    for key, value in prefs.items():
        if key == "tokenOrder":
            continue
        try:
            tokens.append((key, parse_json(value)))
        except ValueError:
            tokens.append((key, value))  # becomes a problem below, with the text as found
    entries.convert_all(
        ordered(tokens, prefs.get("tokenOrder")),
        plain_token_account,
        lambda value: value if isinstance(value, str) else raw_json(value),
    )


def _nonce(parameters: bytes) -> bytes:
    """The GCM nonce from Java's DER AlgorithmParameters: OCTET STRING, or SEQUENCE of one."""

    def element(data: bytes, offset: int) -> tuple[int, bytes, int]:
        if offset + 2 > len(data) or data[offset + 1] & 0x80:
            raise EntryError("the encryption parameters are malformed")
        tag, length = data[offset], data[offset + 1]
        end = offset + 2 + length
        if end > len(data):
            raise EntryError("the encryption parameters are malformed")
        return tag, data[offset + 2 : end], end

    tag, body, _ = element(parameters, 0)
    if tag == 0x30:
        tag, body, _ = element(body, 0)
    if tag != 0x04 or not 8 <= len(body) <= 128:
        raise EntryError("the encryption parameters hold no nonce")
    return body


def _unwrap(wrapped: JsonObject, key: bytes) -> bytes | None:
    if req_str(wrapped, "mCipher") != "AES/GCM/NoPadding":
        raise EntryError("unsupported cipher")
    ciphertext = signed_bytes(wrapped.get("mCipherText"), "'mCipherText'")
    nonce = _nonce(signed_bytes(wrapped.get("mParameters"), "'mParameters'"))
    aad = req_str(wrapped, "mToken").encode("utf-8")
    return _crypto.aes_gcm_open(key, nonce, ciphertext, aad)


def _master_key(master_json: str, password: str) -> bytes | None:
    """The backup's master key, or None when the password is wrong."""
    master = as_object(parse_json(master_json), "the master key")
    kdf = _KDFS.get(req_str(master, "mAlgorithm"))
    if kdf is None:
        raise ImportFormatError("unsupported key derivation in this FreeOTP backup")
    salt = signed_bytes(master.get("mSalt"), "'mSalt'")
    iterations = req_int(master, "mIterations")
    kek = _crypto.pbkdf2(
        password.encode("utf-8"), salt, iterations, kdf, budget=_crypto.KdfBudget()
    )
    key = _unwrap(as_object(master.get("mEncryptedKey"), "the encrypted key"), kek)
    if key is not None and len(key) not in (16, 24, 32):
        raise ImportFormatError("the file is damaged: the master key is malformed")
    return key


def _v2_token(wrapped_json: str, meta_json: str | None, key: bytes) -> Account:
    if meta_json is None:
        raise EntryError("the token's details are missing")
    meta = as_object(parse_json(meta_json), "the token details")
    holder = as_object(parse_json(wrapped_json), "the token key")
    wrapped = as_object(parse_json(req_str(holder, "key")), "the token key")
    secret = _unwrap(wrapped, key)
    if secret is None:
        raise EntryError("the token's secret does not decrypt (the backup is damaged)")
    return token_account(meta, secret)


def _is_v1(prefs: dict[str, str] | None) -> bool:
    return prefs is not None and "tokenOrder" in prefs


class FreeOtpImporter(FileImporter):
    name = "freeotp"
    title = "FreeOTP"
    document = "a FreeOTP backup"

    def sniff(self, source: SourceView) -> bool:
        if source.data.startswith(_javaser.MAGIC):
            return b"masterKey" in source.data
        return _is_v1(source.prefs)

    def needs_password(self, data: bytes) -> bool:
        return data.startswith(_javaser.MAGIC)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        if not source.data.startswith(_javaser.MAGIC):
            if source.prefs is None:
                raise self.not_this("the file is not an Android preferences XML file")
            _read_v1(source.prefs, entries)
            return
        stored = _javaser.parse_string_map(source.data)
        password = self.password_given(password)
        if "masterKey" not in stored:
            raise self.not_this("no master key")
        try:
            key = _master_key(stored["masterKey"], password)
        except ValueError:
            raise ImportFormatError(
                "the file is damaged: the master key is not valid JSON"
            ) from None
        if key is None:
            raise self.wrong_password()
        uuids = [name for name in stored if name != "masterKey" and not name.endswith("-token")]
        for uuid in uuids:
            meta = stored.get(f"{uuid}-token")

            def build(uuid: str = uuid, meta: str | None = meta) -> Account:
                try:
                    return _v2_token(stored[uuid], meta, key)
                except ValueError:
                    raise EntryError("the token is not valid JSON") from None

            entries.convert(meta if meta is not None else uuid, build)
