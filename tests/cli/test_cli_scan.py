"""`keyfob scan`: QR codes in image files, read by zxing-cpp; no vault needed."""

from __future__ import annotations

import json
from pathlib import Path

from app.qr.encode import encode_png
from tests.cli.conftest import Cli, assert_user_error

URI = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"


def test_scan_prints_the_text_of_each_code(cli: Cli, tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(encode_png(URI))
    second.write_bytes(encode_png("otpauth://hotp/x?secret=KRSXG5CTMVRXEZLU&counter=1"))
    result = cli("scan", str(first), str(second))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        URI,
        "otpauth://hotp/x?secret=KRSXG5CTMVRXEZLU&counter=1",
    ]
    as_json = json.loads(cli("scan", str(first), "--json").stdout)
    assert as_json == [{"file": str(first), "text": URI}]
    assert not cli.vault.exists()


def test_scan_of_an_image_without_a_code_exits_1(cli: Cli, tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    result = cli("scan", str(blank))
    assert result.returncode == 1
    assert "no QR code found" in result.stderr


def test_scan_of_a_missing_or_broken_file_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    assert_user_error(cli("scan", str(tmp_path / "nope.png")), "no such image file")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    result = cli("scan", str(broken))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
