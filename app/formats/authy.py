"""Authy: the app's shared_prefs file `com.authy.storage.tokens.authenticator.xml`.

The pref `com.authy.storage.tokens.authenticator.key` holds a JSON list of tokens. Each secret
is either in clear (`decryptedSecret`, base32) or encrypted with the user's backup password:
AES-256-CBC, zero IV, key = PBKDF2-HMAC-SHA1(password, salt, 1000). Authy stores no algorithm
or period: codes are SHA1, 30 s, with the stored digits.
"""

from __future__ import annotations

from app.core.account import Account
from app.formats import _crypto
from app.formats._common import (
    JsonObject,
    as_object,
    b64decode,
    json_list,
    opt_int,
    opt_str,
    req_str,
    secret_from_base32,
)
from app.formats.base import Entries, EntryError, FileImporter, raw_json
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.view import SourceView, text_or_none

PREF_KEY = "com.authy.storage.tokens.authenticator.key"
ITERATIONS = 1000


def _tokens(source: SourceView) -> list[object] | None:
    """The token list, or None when the file is not Authy's; refused when it is damaged."""
    text = source.pref(PREF_KEY)
    return None if text is None else json_list(text, "the token list")


def _encrypted(token: object) -> bool:
    return (
        isinstance(token, dict)
        and not token.get("decryptedSecret")
        and bool(token.get("encryptedSecret"))
    )


def _decrypt_secret(token: JsonObject, password: str, budget: _crypto.KdfBudget) -> str | None:
    salt = req_str(token, "salt").encode("utf-8")
    ciphertext = b64decode(req_str(token, "encryptedSecret"), "'encryptedSecret'")
    if not ciphertext or len(ciphertext) % 16:
        raise EntryError("the encrypted secret is damaged")
    key = _crypto.pbkdf2(password.encode("utf-8"), salt, ITERATIONS, "sha1", budget=budget)
    plaintext = _crypto.aes_cbc_open(key, bytes(16), ciphertext)
    text = text_or_none(plaintext) if plaintext is not None else None
    try:
        return text if text is not None and secret_from_base32(text) else None
    except EntryError:
        return None


def _issuer_and_name(token: JsonObject) -> tuple[str, str]:
    original = opt_str(token, "originalName")
    name = opt_str(token, "name")
    issuer = opt_str(token, "originalIssuer")
    if not issuer:
        if ":" in original:
            issuer = original.split(":", 1)[0]
        elif " - " in name:
            issuer = name.split(" - ", 1)[0]
        else:
            issuer = opt_str(token, "accountType").capitalize()
    for separator in (":", " - "):
        if issuer and name.startswith(issuer + separator):
            name = name[len(issuer) + len(separator) :].lstrip()
            break
    return issuer, name


def _convert(token: JsonObject, secret_text: str) -> Account:
    issuer, name = _issuer_and_name(token)
    return Account(
        secret=secret_from_base32(secret_text),
        digits=opt_int(token, "digits", 6),
        issuer=issuer,
        name=name,
    )


class AuthyImporter(FileImporter):
    name = "authy"
    title = "Authy"
    document = "an Authy tokens file"

    def sniff(self, source: SourceView) -> bool:
        return source.pref(PREF_KEY) is not None

    def needs_password(self, data: bytes) -> bool:
        try:
            tokens = _tokens(SourceView(data))
        except ImportFormatError:
            return False
        return tokens is not None and any(_encrypted(token) for token in tokens)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        tokens = _tokens(source)
        if tokens is None:
            raise self.not_this("the token list is missing")
        if password is None and any(_encrypted(token) for token in tokens):
            raise PasswordRequiredError("this Authy file has encrypted secrets: give its password")
        # Each encrypted token costs a PBKDF2 run: a file of very many is refused unstarted.
        budget = _crypto.KdfBudget()
        encrypted = sum(1 for token in tokens if _encrypted(token))
        budget.check_ahead(encrypted * _crypto.pbkdf2_work(ITERATIONS, "sha1"))
        decrypted = failed = 0
        for value in tokens:

            def build(value: object = value) -> Account:
                nonlocal decrypted, failed
                token = as_object(value, "the token")
                if not _encrypted(token):
                    return _convert(token, req_str(token, "decryptedSecret"))
                assert password is not None
                secret = _decrypt_secret(token, password, budget)
                if secret is None:
                    failed += 1
                    raise EntryError("the secret does not decrypt with this password")
                decrypted += 1
                return _convert(token, secret)

            entries.convert(raw_json(value), build)
        if failed and not decrypted:
            raise WrongPasswordError("wrong password for this Authy file")
