"""Each exporter on its own: the file it writes, what it leaves out and says, and its safety
(mode 0600, atomic replace, no plaintext temporary file left after an error)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from PIL import Image, ImageDraw

from app.core.account import Account, OtpType
from app.core.secret import encode_base32
from app.core.uri import build_otpauth, parse_otpauth
from app.formats import registry
from app.formats.errors import WrongPasswordError
from app.formats.exporters.aegis import AegisExporter
from app.formats.exporters.base import Exporter, ExportError, write_private
from app.formats.exporters.googleqr import LEFT_OUT_FILE, GoogleQrExporter
from app.formats.exporters.htmlpage import HtmlExporter, grouped_secret
from app.formats.exporters.keyfob import KeyfobExporter
from app.formats.exporters.registry import (
    exporter_aliases,
    exporter_by_name,
    exporter_names,
    exporters,
)
from app.formats.exporters.uris import UriListExporter
from app.qr.decode import decode_image_file
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.formats.test_roundtrip import PASSWORD, all_fields, fields, sample_accounts

UUID_V4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
HEX = re.compile(r"[0-9a-f]*")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == 2 * length and bool(HEX.fullmatch(value))


# --- registry ----------------------------------------------------------------------------------


def test_registry_names_and_consent_flags() -> None:
    assert exporter_names() == ["keyfob", "aegis", "aegis-plain", "otpauth", "googleauth", "html"]
    plaintext = {e.name for e in exporters() if e.plaintext}
    assert plaintext == {"aegis-plain", "otpauth", "googleauth", "html"}
    assert [e.name for e in exporters() if e.folder] == ["googleauth"]
    assert all(e.title for e in exporters())


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Aegis_Plain", "aegis-plain"),
        ("aegis unencrypted", "aegis-plain"),
        ("googleqr", "googleauth"),
        ("google-qr", "googleauth"),
        ("URIS", "otpauth"),
        ("otpauth", "otpauth"),
        ("paper", "html"),
    ],
)
def test_exporter_by_name_forgives_spelling(typed: str, name: str) -> None:
    assert exporter_by_name(typed).name == name


def test_a_format_read_and_written_has_one_name_in_both_directions() -> None:
    # The names each went by before (uris / google-qr to export, otpauth / googleauth to
    # import) keep working, in both directions, so no script breaks.
    assert set(exporter_names()) & set(registry.names()) == {
        "keyfob",
        "aegis",
        "otpauth",
        "googleauth",
    }
    for name in ("keyfob", "otpauth", "googleauth"):
        assert exporter_aliases(name) == registry.aliases(name)
        for typed in [name, *exporter_aliases(name)]:
            assert exporter_by_name(typed).name == name
            assert registry.by_name(typed).name == name
    assert {"uris", "google-qr"} <= {*exporter_aliases("otpauth"), *registry.aliases("googleauth")}
    # Aegis: the importer reads both of the exporter's variants.
    assert registry.by_name("aegis-plain").name == "aegis"
    assert exporter_by_name("aegis").name == registry.by_name("aegis").name == "aegis"


def test_unknown_export_format_lists_the_known_ones() -> None:
    with pytest.raises(ExportError, match="unknown export format 'csv'") as error:
        exporter_by_name("csv")
    assert all(name in str(error.value) for name in exporter_names())


@pytest.mark.parametrize("name", ["keyfob", "aegis"])
@pytest.mark.parametrize("password", [None, ""])
def test_encrypted_formats_need_a_password(tmp_path: Path, name: str, password: str | None) -> None:
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="password"):
        exporter_by_name(name).write(sample_accounts(), out, password)
    assert not out.exists()


# --- Aegis -------------------------------------------------------------------------------------


def test_aegis_file_has_what_aegis_requires(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "aegis.json"
    AegisExporter(encrypted=True).write(accounts, out, PASSWORD, groups=["Home", "Unused"])
    document = json.loads(out.read_bytes().decode("utf-8"))

    assert document["version"] == 1
    assert isinstance(document["db"], str)
    (slot,) = document["header"]["slots"]
    assert slot["type"] == 1
    assert UUID_V4.fullmatch(slot["uuid"])
    assert (slot["n"], slot["r"], slot["p"]) == (32768, 8, 1)
    assert _is_hex(slot["salt"], 32)
    assert _is_hex(slot["key"], 32)
    assert _is_hex(slot["key_params"]["nonce"], 12)
    assert _is_hex(slot["key_params"]["tag"], 16)
    assert slot["repaired"] is True
    params = document["header"]["params"]
    assert _is_hex(params["nonce"], 12)
    assert _is_hex(params["tag"], 16)

    # Decrypted as Aegis' docs/vault.md says (independently of our importer).
    kek = Scrypt(salt=bytes.fromhex(slot["salt"]), length=32, n=32768, r=8, p=1).derive(
        PASSWORD.encode()
    )
    master = AESGCM(kek).decrypt(
        bytes.fromhex(slot["key_params"]["nonce"]),
        bytes.fromhex(slot["key"] + slot["key_params"]["tag"]),
        None,
    )
    plaintext = AESGCM(master).decrypt(
        bytes.fromhex(params["nonce"]),
        base64.b64decode(document["db"]) + bytes.fromhex(params["tag"]),
        None,
    )
    content = json.loads(plaintext)
    _check_content(content, accounts)
    assert [g["name"] for g in content["groups"]] == ["Home", "Unused", "Work"]


def _check_content(content: dict[str, object], accounts: list[Account]) -> None:
    assert content["version"] == 3
    groups = content["groups"]
    assert isinstance(groups, list)
    names = {g["uuid"]: g["name"] for g in groups}
    assert all(UUID_V4.fullmatch(u) for u in names)
    entries = content["entries"]
    assert isinstance(entries, list)
    assert len(entries) == len(accounts)
    for entry, account in zip(entries, accounts, strict=True):
        assert UUID_V4.fullmatch(entry["uuid"])
        assert entry["type"] == account.type.value
        assert (entry["issuer"], entry["name"]) == (account.issuer, account.name)
        assert (entry["note"], entry["favorite"]) == (account.note, account.favourite)
        info = entry["info"]
        assert info["secret"] == encode_base32(account.secret)
        assert (info["algo"], info["digits"]) == (account.algorithm.value, account.digits)
        if account.type is OtpType.HOTP:
            assert info["counter"] == account.counter
            assert "period" not in info
        else:
            assert info["period"] == account.period
            assert "counter" not in info
        assert [names[u] for u in entry["groups"]] == list(account.groups)
        if account.icon:
            assert entry["icon_mime"] == "image/png"
            image = base64.b64decode(entry["icon"])
            assert entry["icon_hash"] == hashlib.sha256(b"image/png" + image).hexdigest()
        else:
            assert entry["icon"] is None


def test_aegis_plain_file_layout(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "aegis-plain.json"
    AegisExporter(encrypted=False).write(accounts, out, "ignored")
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["header"] == {"slots": None, "params": None}
    _check_content(document["db"], accounts)
    assert "Zürich Bank ☃" in out.read_text(encoding="utf-8")  # UTF-8, as Aegis writes


def test_aegis_leaves_out_what_it_cannot_hold_and_says_so(tmp_path: Path) -> None:
    odd_steam = Account(secret=b"s" * 10, type=OtpType.STEAM, issuer="Steam", name="x", period=60)
    huge_counter = Account(secret=b"h" * 10, type=OtpType.HOTP, name="big", counter=2**63)
    gif = Account(
        secret=b"g" * 10, name="gif icon", icon="data:image/gif;base64,R0lGODlhAQABAAAAACw="
    )
    out = tmp_path / "aegis.json"
    report = AegisExporter(encrypted=False).write([odd_steam, huge_counter, gif], out, None)
    assert report.exported == 1
    assert [(item.label, item.reason) for item in report.left_out] == [
        ("Steam (x)", "Aegis's Steam codes are always 30 s (this one: 60 s)"),
        ("big", "the counter is too large for Aegis (at most 2^63-1)"),
    ]
    assert report.notes
    assert "icon" in report.notes[0]
    (entry,) = json.loads(out.read_text())["db"]["entries"]
    assert entry["name"] == "gif icon"
    assert entry["icon"] is None


def test_aegis_gives_uuids_that_are_not_uuids_or_repeat_new_ones(tmp_path: Path) -> None:
    first = Account(secret=b"a" * 10, name="a", uuid="not-a-uuid")
    kept = str(uuid.uuid4())
    second = Account(secret=b"b" * 10, name="b", uuid=kept)
    third = Account(secret=b"c" * 10, name="c", uuid=kept)
    out = tmp_path / "aegis.json"
    AegisExporter(encrypted=False).write([first, second, third], out, None)
    uuids = [e["uuid"] for e in json.loads(out.read_text())["db"]["entries"]]
    assert uuids[1] == kept
    assert len(set(uuids)) == 3
    assert all(UUID_V4.fullmatch(u) for u in uuids)


def test_aegis_export_opens_only_with_its_password(tmp_path: Path) -> None:
    out = tmp_path / "aegis.json"
    AegisExporter(encrypted=True, scrypt_n=1024).write(sample_accounts(), out, PASSWORD)
    importer = registry.by_name("aegis")
    with pytest.raises(WrongPasswordError, match="wrong password"):
        importer.read(out.read_bytes(), "not it")


# --- Keyfob ------------------------------------------------------------------------------------


def test_keyfob_export_is_a_vault_of_its_own(tmp_path: Path) -> None:
    source = Vault.create(tmp_path / "vault.json", "vault password", kdf=KdfParams.for_tests())
    source.add_accounts(sample_accounts())
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "copy.json"
    content = source.content
    report = KeyfobExporter(kdf=KdfParams.for_tests()).write(
        content.accounts, out, PASSWORD, groups=content.groups
    )
    assert report.files == (out,)
    assert report.exported == len(content.accounts)
    assert _mode(out) == 0o600
    copy = Vault.open(out, PASSWORD)
    assert copy.content.accounts == content.accounts
    assert copy.content.groups == content.groups
    assert copy.vault_id != source.vault_id
    # An export is not a save: no backup, no lock file beside it.
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["copy.json"]


def test_keyfob_export_uses_a_vaults_kdf_by_default(tmp_path: Path) -> None:
    out = tmp_path / "copy.json"
    KeyfobExporter().write(sample_accounts()[:1], out, PASSWORD)
    kdf = json.loads(out.read_text())["header"]["slots"][0]["kdf"]
    default = KdfParams.default()
    assert (kdf["memory_kib"], kdf["iterations"], kdf["lanes"]) == (
        default.memory_kib,
        default.iterations,
        default.lanes,
    )


# --- otpauth:// list ----------------------------------------------------------------------------


def test_uri_list_is_one_uri_a_line(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "accounts.txt"
    UriListExporter().write(accounts, out, None)
    lines = out.read_text(encoding="ascii").splitlines()
    assert lines == [build_otpauth(a) for a in accounts]
    assert all_fields([parse_otpauth(line) for line in lines]) == all_fields(accounts)


# --- Google Authenticator QR codes --------------------------------------------------------------


def test_google_qr_lists_what_google_cannot_hold(tmp_path: Path) -> None:
    folder = tmp_path / "qr"
    report = GoogleQrExporter().write(sample_accounts(), folder, None)
    reasons = {item.label: item.reason for item in report.left_out}
    assert reasons == {
        "Example (bob)": "Google Authenticator only has 30-second codes (this one: 60 s)",
        "Seven (dave)": "Google Authenticator only has 6 or 8 digits (this one: 7)",
        "Steam (gina)": "Google Authenticator has no Steam codes",
    }
    listing = (folder / LEFT_OUT_FILE).read_text(encoding="utf-8")
    assert all(f"- {label}: {reason}" in listing for label, reason in reasons.items())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(_mode(path) == 0o600 for path in report.files)
    assert sorted(folder.iterdir()) == sorted(report.files)


def test_google_qr_refuses_a_folder_with_an_earlier_export(tmp_path: Path) -> None:
    folder = tmp_path / "qr"
    GoogleQrExporter().write(sample_accounts()[:1], folder, None)
    before = sorted(folder.iterdir())
    with pytest.raises(ExportError, match="already holds QR images"):
        GoogleQrExporter().write(sample_accounts(), folder, None)
    assert sorted(folder.iterdir()) == before


def test_google_qr_with_nothing_google_can_hold(tmp_path: Path) -> None:
    steam = Account(secret=b"s" * 10, type=OtpType.STEAM, name="only steam")
    with pytest.raises(ExportError, match=r"none of the accounts .*no Steam codes"):
        GoogleQrExporter().write([steam], tmp_path / "qr", None)
    assert not (tmp_path / "qr").exists()


def test_google_qr_uses_an_empty_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    report = GoogleQrExporter().write(sample_accounts()[:1], folder, None)
    assert [p.name for p in report.files] == ["qr-1-of-1.png"]


# --- the paper backup ---------------------------------------------------------------------------


def _svg_modules(svg: str) -> Image.Image:
    """Draw the SVG's path (unit squares as `M x y h w v1 h-w z`) as a picture, 8 px a module."""
    found = re.search(r'viewBox="0 0 (\d+) \1"', svg)
    assert found is not None
    side = int(found.group(1))
    scale = 8
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + int(width) * scale - 1, top + scale - 1], fill=0)
    return image


def test_html_page_shows_every_account_with_a_qr_code_that_scans(tmp_path: Path) -> None:
    accounts = sample_accounts()
    out = tmp_path / "paper.html"
    report = HtmlExporter().write(accounts, out, None)
    assert report.exported == len(accounts)
    assert _mode(out) == 0o600
    page = out.read_text(encoding="utf-8")
    assert "Keep this paper safe" in page
    assert "@media print" in page
    assert "break-inside:avoid" in page
    svgs = re.findall(r"<svg.*?</svg>", page)
    assert len(svgs) == len(accounts)
    for index, (svg, account) in enumerate(zip(svgs, accounts, strict=True)):
        picture = tmp_path / f"card-{index}.png"
        _svg_modules(svg).save(picture)
        (text,) = decode_image_file(picture)
        assert text == build_otpauth(account)
        assert fields(parse_otpauth(text)) == fields(account)
        assert grouped_secret(account) in page
    assert "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ" in page  # groups of four, for typing


def test_html_page_escapes_every_text_and_loads_nothing(tmp_path: Path) -> None:
    hostile = Account(
        secret=b"x" * 10,
        issuer='<script>alert("issuer")</script>',
        name="<img src=x onerror=alert(1)>",
        note="</div><a href='https://evil.example'>",
        groups=("<b>group</b>",),
    )
    out = tmp_path / "paper.html"
    HtmlExporter().write([hostile], out, None)
    page = out.read_text(encoding="utf-8")
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", page))
    assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "p", "strong"} | {
        "main",
        "section",
        "div",
        "svg",
        "rect",
        "path",
    }
    assert not re.search(r"<[^>]*\s(src|href|on[a-z]+)\s*=", page)
    assert "@import" not in page
    assert "url(" not in page
    assert "&lt;script&gt;alert(&quot;issuer&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # The only URL in markup is the SVG namespace (the note's URL is text); a CSP forbids
    # fetching anything anyway.
    in_tags = {
        url
        for tag in re.findall(r"<[^>]*>", page)
        for url in re.findall(r"https?://[^\s\"'<>]+", tag)
    }
    assert in_tags == {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in page


def test_html_page_without_qr_code_for_a_uri_too_long(tmp_path: Path) -> None:
    long_one = Account(secret=b"k" * 1024, issuer="x" * 800, name="y" * 800)
    out = tmp_path / "paper.html"
    HtmlExporter().write([long_one], out, None)
    page = out.read_text(encoding="utf-8")
    assert "<svg" not in page
    assert "Too long for a QR code" in page
    assert grouped_secret(long_one) in page


# --- files: mode, atomic replace, nothing left behind -----------------------------------------


def _file_exporters() -> list[Exporter]:
    return [
        KeyfobExporter(kdf=KdfParams.for_tests()),
        AegisExporter(encrypted=True, scrypt_n=1024),
        AegisExporter(encrypted=False),
        UriListExporter(),
        HtmlExporter(),
    ]


@pytest.mark.parametrize("exporter", _file_exporters(), ids=lambda e: e.name)
def test_files_are_private_and_replaced_whole(tmp_path: Path, exporter: Exporter) -> None:
    out = tmp_path / "export"
    out.write_text("old content")
    out.chmod(0o644)
    exporter.write(sample_accounts(), out, PASSWORD)
    assert _mode(out) == 0o600
    assert b"old content" not in out.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


@pytest.mark.parametrize("exporter", _file_exporters(), ids=lambda e: e.name)
def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, exporter: Exporter) -> None:
    blocker = tmp_path / "export"  # a folder where the file should go: the rename fails
    blocker.mkdir()
    (blocker / "keep").write_text("x")
    with pytest.raises(ExportError, match="cannot write"):
        exporter.write(sample_accounts(), blocker, PASSWORD)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert [p.name for p in blocker.iterdir()] == ["keep"]


def test_write_private_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot write into"):
        write_private(tmp_path / "missing" / "file", b"data")
