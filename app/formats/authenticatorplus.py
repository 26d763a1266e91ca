"""Authenticator Plus backups: a ZIP with traditional PKWARE ("ZipCrypto") encryption.

It holds `Accounts.txt`, one otpauth:// URI per line. ZipCrypto is weak (known-plaintext
attacks break it), which is one more reason to delete the backup after importing it.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from app.formats._uris import read_otpauth_lines
from app.formats.base import Entries, FileImporter
from app.formats.errors import ImportFormatError, WrongPasswordError
from app.formats.view import SourceView, content_lines, text_or_none

MEMBER = "Accounts.txt"
MAX_MEMBER_BYTES = 16 * 1024 * 1024
# zipfile reports malformed archives through many exception types (BadZipFile, but also
# IndexError, struct.error, EOFError, ...): at this boundary any of them means "damaged".
_ZIP_ERRORS = (Exception,)


def _member(data: bytes) -> zipfile.ZipInfo | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename.rsplit("/", 1)[-1] == MEMBER:
                    return info
    except _ZIP_ERRORS:
        return None
    return None


def _encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & 0x1)


def _extract(
    data: bytes, info: zipfile.ZipInfo, password: str | None, wrong: WrongPasswordError
) -> bytes:
    secret = password.encode("utf-8") if password is not None else None
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as archive,
            archive.open(info, pwd=secret) as member,
        ):
            content = member.read(MAX_MEMBER_BYTES + 1)
    except NotImplementedError:
        raise ImportFormatError(
            "this ZIP uses a compression or encryption Keyfob cannot read"
        ) from None
    except RuntimeError:
        raise wrong from None  # zipfile's "Bad password": ZipCrypto's 1-byte check failed
    except (zipfile.BadZipFile, zlib.error):
        if _encrypted(info):
            # The check byte lets 1 wrong password in 256 through: the data then fails here.
            raise wrong from None
        raise ImportFormatError("the file is damaged: the ZIP data is corrupt") from None
    except _ZIP_ERRORS:
        raise ImportFormatError("the file is damaged: the ZIP data is corrupt") from None
    if len(content) > MAX_MEMBER_BYTES:
        raise ImportFormatError(f"{MEMBER} is too large to be an account list")
    return content


class AuthenticatorPlusImporter(FileImporter):
    name = "authenticatorplus"
    title = "Authenticator Plus"
    document = "an Authenticator Plus backup"

    def sniff(self, source: SourceView) -> bool:
        return _member(source.data) is not None

    def needs_password(self, data: bytes) -> bool:
        info = _member(data)
        return info is not None and _encrypted(info)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        info = _member(source.data)
        if info is None:
            raise self.not_this(f"no ZIP with {MEMBER}")
        if _encrypted(info):
            password = self.password_given(password)
        text = text_or_none(_extract(source.data, info, password, self.wrong_password()))
        if text is None:
            if _encrypted(info):
                raise self.wrong_password()
            raise ImportFormatError(f"the file is damaged: {MEMBER} is not text")
        read_otpauth_lines(content_lines(text), entries)
