"""The desktop files in resources/: valid for the freedesktop tools, and consistent.

desktop-file-validate (desktop-file-utils) and appstreamcli (appstream) are the checkers
Linux distributions and Flathub run; a missing one fails the test rather than skipping it.
"""

from __future__ import annotations

import configparser
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageChops, ImageStat

from app import __version__
from app.data_files import APP_ID, resources_dir
from tests.conftest import ROOT

RESOURCES = ROOT / "resources"
DESKTOP = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"
REPOSITORY_FILES = "https://github.com/keyfob/keyfob/raw/main/"


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: run packaging/setup.sh --test"
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def render_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_icons", ROOT / "packaging" / "render_icons.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_desktop_file_is_valid() -> None:
    result = run(tool("desktop-file-validate"), str(DESKTOP))
    assert result.returncode == 0, result.stdout + result.stderr
    problems = [
        line for line in result.stdout.splitlines() if "error:" in line or "warning:" in line
    ]
    assert problems == []


def test_the_desktop_file_opens_keyfobs_links() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    entry = parser["Desktop Entry"]
    assert entry["Exec"] == "keyfob %u"
    assert entry["MimeType"].strip(";").split(";") == [
        "x-scheme-handler/otpauth",
        "x-scheme-handler/keyfob",
    ]
    assert entry["Icon"] == APP_ID


def test_the_metainfo_is_valid() -> None:
    result = run(tool("appstreamcli"), "validate", "--no-net", str(METAINFO))
    assert result.returncode == 0, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert problems == []


def test_the_metainfo_matches_the_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    releases = root.findall("releases/release")
    assert releases[0].get("version") == __version__
    assert releases[0].find("description") is not None
    screenshots = [image.text or "" for image in root.findall("screenshots/screenshot/image")]
    assert len(screenshots) == 2
    for url in screenshots:
        assert url.startswith(REPOSITORY_FILES)
        assert (ROOT / url.removeprefix(REPOSITORY_FILES)).is_file(), url
    mediatypes = {m.text for m in root.findall("provides/mediatype")}
    assert mediatypes == {"x-scheme-handler/otpauth", "x-scheme-handler/keyfob"}


def test_the_icon_pngs_are_renderings_of_the_svg(qapp: object) -> None:
    # Regenerate with `.venv/bin/python packaging/render_icons.py` after changing the SVG.
    # `qapp` (pytest-qt's QApplication): a bare QGuiApplication here would outlive the test
    # in this worker and abort the next test that makes a widget.
    from PySide6.QtCore import QBuffer, QIODevice

    module = render_icons()
    svg = module.SOURCE.read_bytes()
    assert module.SIZES == (16, 24, 32, 48, 64, 128, 256, 512)
    for size in module.SIZES:
        committed = Image.open(module.png_path(size)).convert("RGBA")
        assert committed.size == (size, size)
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        module.render(svg, size).save(buffer, "PNG")
        fresh = Image.open(io.BytesIO(bytes(buffer.data().data()))).convert("RGBA")
        difference = ImageChops.difference(committed, fresh)
        # Room for another Qt's antialiasing, none for a different drawing.
        assert max(ImageStat.Stat(difference).mean) < 2.0, size
        assert max(high for _low, high in difference.getextrema()) < 96, size


def test_the_checkout_uses_its_own_resources() -> None:
    assert resources_dir() == RESOURCES


@pytest.mark.parametrize("layout", ["user", "prefix"])
def test_an_installed_wheel_finds_its_resources_under_share(tmp_path: Path, layout: str) -> None:
    # The layouts a wheel gives: the package without resources/ beside it, the resources as
    # data files in PREFIX/share/keyfob. "user": `pip install --user` (the user base);
    # "prefix": `pip install --prefix=P`, as the Flatpak build does (P is not sys.prefix).
    user_base = tmp_path / "userbase"
    if layout == "user":
        site_packages, data = tmp_path / "site", user_base / "share" / "keyfob"
    else:
        prefix = tmp_path / "app-prefix"
        site_packages = prefix / "lib" / "python3.12" / "site-packages"
        data = prefix / "share" / "keyfob"
    package = site_packages / "app"
    package.mkdir(parents=True)
    for name in ("__init__.py", "data_files.py"):
        shutil.copyfile(ROOT / "app" / name, package / name)
    (data / "icons").mkdir(parents=True)
    (data / "icons" / "keyfob.svg").write_bytes((RESOURCES / "icons" / "keyfob.svg").read_bytes())
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "from app.data_files import resources_dir; print(resources_dir())",
        ],
        env={**os.environ, "PYTHONPATH": str(site_packages), "PYTHONUSERBASE": str(user_base)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == data
