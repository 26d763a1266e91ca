"""`keyfob desktop install|uninstall`: the real `keyfob` script on a temporary XDG tree.

Installed entries are checked with Debian's desktop-file-validate and, where installed as
on the test machines, xdg-mime's own reading of the default handler.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli.desktop_commands import (
    DEFAULTS_SECTION,
    DESKTOP_ID,
    SCHEMES,
    desktop_entry,
    exec_value,
    make_default,
    remove_default,
)
from app.data_files import resource_path
from tests.cli.conftest import KEYFOB, Cli, assert_user_error

SIZES = ("16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512")


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: run packaging/setup.sh --test"
    return found


def validate(path: Path) -> None:
    result = subprocess.run(
        [tool("desktop-file-validate"), "--no-hints", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout
    assert "warning" not in result.stdout


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return dict(parser["Desktop Entry"])


def exec_arguments(value: str) -> list[str]:
    """An Exec value split as the desktop entry spec says a launcher must (an independent
    reading: string escapes first, then double-quoted arguments with \\ escapes)."""
    unescaped, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            unescaped.append(
                {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(value[i + 1], value[i + 1])
            )
            i += 2
        else:
            unescaped.append(value[i])
            i += 1
    text = "".join(unescaped)
    arguments: list[str] = []
    current: list[str] | None = None
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
                current.append(text[i + 1])  # type: ignore[union-attr]
                i += 1
            elif c == '"':
                quoted = False
            else:
                current.append(c)  # type: ignore[union-attr]
        elif c == " ":
            if current is not None:
                arguments.append("".join(current))
                current = None
        elif c == '"':
            quoted = True
            current = current or []
        else:
            current = (current or []) + [c]
        i += 1
    if current is not None:
        arguments.append("".join(current))
    return [argument.replace("%%", "%") for argument in arguments]


def defaults(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return (
        dict(parser[DEFAULTS_SECTION.strip("[]")])
        if parser.has_section("Default Applications")
        else {}
    )


class Tree:
    def __init__(self, home: Path) -> None:
        self.data = home / ".local" / "share"
        self.config = home / ".config"
        self.entry = self.data / "applications" / DESKTOP_ID
        self.autostart = self.config / "autostart" / DESKTOP_ID
        self.mimeapps = self.config / "mimeapps.list"
        self.hicolor = self.data / "icons" / "hicolor"

    def icons(self) -> list[Path]:
        return [self.hicolor / "scalable" / "apps" / "io.github.keyfob.Keyfob.svg"] + [
            self.hicolor / size / "apps" / "io.github.keyfob.Keyfob.png" for size in SIZES
        ]


@pytest.fixture
def tree(cli: Cli) -> Tree:
    return Tree(Path(cli.env["HOME"]))


@pytest.fixture
def no_tools(tmp_path: Path) -> dict[str, str]:
    """A PATH without xdg-mime or update-desktop-database: Keyfob writes mimeapps.list."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return {"PATH": str(empty)}


def test_install_adds_the_menu_entry_icons_and_link_handlers(
    cli: Cli, tree: Tree, no_tools: dict[str, str]
) -> None:
    result = cli("desktop", "install", env=no_tools)
    assert result.returncode == 0, result.stderr
    validate(tree.entry)
    entry = read_entry(tree.entry)
    # The absolute path of the console script in use, so the menu works off PATH (a venv).
    assert exec_arguments(entry["Exec"]) == [KEYFOB, "%u"]
    assert entry["TryExec"] == KEYFOB
    assert set(entry["MimeType"].strip(";").split(";")) == set(SCHEMES)
    assert entry["Icon"] == "io.github.keyfob.Keyfob"
    for icon in tree.icons():
        assert icon.is_file(), icon
    assert (
        tree.icons()[-1].read_bytes()
        == resource_path(
            "icons", "hicolor", "512x512", "apps", "io.github.keyfob.Keyfob.png"
        ).read_bytes()
    )
    assert defaults(tree.mimeapps) == dict.fromkeys(SCHEMES, f"{DESKTOP_ID};")
    assert not tree.autostart.exists()
    assert "Starts at login: no" in result.stdout


def test_install_registers_the_handlers_that_xdg_mime_reports(cli: Cli, tree: Tree) -> None:
    xdg_mime = tool("xdg-mime")
    assert cli("desktop", "install").returncode == 0
    for scheme in SCHEMES:
        query = subprocess.run(
            [xdg_mime, "query", "default", scheme],
            env=cli.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert query.stdout.strip() == DESKTOP_ID, query


def test_autostart_is_added_kept_and_removed(
    cli: Cli, tree: Tree, no_tools: dict[str, str]
) -> None:
    assert cli("desktop", "install", "--autostart", env=no_tools).returncode == 0
    validate(tree.autostart)
    entry = read_entry(tree.autostart)
    assert exec_arguments(entry["Exec"]) == [KEYFOB, "--minimized"]
    assert entry["StartupNotify"] == "false"
    assert "MimeType" not in entry
    # Installing again without saying keeps the choice made before.
    again = cli("desktop", "install", env=no_tools)
    assert "Starts at login, in the tray: yes" in again.stdout
    assert tree.autostart.is_file()
    assert cli("desktop", "install", "--no-autostart", env=no_tools).returncode == 0
    assert not tree.autostart.exists()
    assert tree.entry.is_file()


def test_uninstall_removes_what_install_added_and_keeps_other_handlers(
    cli: Cli, tree: Tree, no_tools: dict[str, str]
) -> None:
    tree.config.mkdir(parents=True)
    before = (
        "# my associations\n"
        "[Default Applications]\n"
        "text/html=firefox.desktop\n"
        "x-scheme-handler/otpauth=other-authenticator.desktop;\n"
        "\n"
        "[Added Associations]\n"
        "image/png=viewer.desktop;\n"
    )
    tree.mimeapps.write_text(before)
    assert cli("desktop", "install", "--autostart", env=no_tools).returncode == 0
    handlers = defaults(tree.mimeapps)
    assert handlers["x-scheme-handler/otpauth"] == f"{DESKTOP_ID};other-authenticator.desktop;"
    assert handlers["text/html"] == "firefox.desktop"

    result = cli("desktop", "uninstall", env=no_tools)
    assert result.returncode == 0, result.stderr
    for path in [tree.entry, tree.autostart, *tree.icons()]:
        assert not path.exists(), path
    assert f"Removed {tree.entry}" in result.stdout
    after = tree.mimeapps.read_text()
    assert DESKTOP_ID not in after
    assert "x-scheme-handler/otpauth=other-authenticator.desktop;" in after
    assert "image/png=viewer.desktop;" in after
    assert after.startswith("# my associations\n[Default Applications]\n")
    nothing = cli("desktop", "uninstall", env=no_tools)
    assert nothing.returncode == 0
    assert "nothing to remove" in nothing.stdout


def test_a_keyfob_in_a_folder_with_spaces_and_dollars_gets_a_working_exec(
    cli: Cli, tree: Tree, tmp_path: Path, no_tools: dict[str, str]
) -> None:
    folder = tmp_path / "My Apps $HOME 100%"
    folder.mkdir()
    script = folder / "keyfob"
    script.symlink_to(KEYFOB)
    result = subprocess.run(
        [str(script), "desktop", "install", "--autostart"],
        env={**cli.env, **no_tools},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for path in (tree.entry, tree.autostart):
        validate(path)
    assert exec_arguments(read_entry(tree.entry)["Exec"]) == [str(script), "%u"]
    assert exec_arguments(read_entry(tree.autostart)["Exec"]) == [str(script), "--minimized"]


def test_the_vault_option_goes_into_the_menu_entry(
    cli: Cli, tree: Tree, tmp_path: Path, no_tools: dict[str, str]
) -> None:
    vault = tmp_path / "elsewhere" / "work vault.json"
    assert cli("--vault", str(vault), "desktop", "install", env=no_tools).returncode == 0
    assert exec_arguments(read_entry(tree.entry)["Exec"]) == [KEYFOB, "--vault", str(vault), "%u"]


@pytest.mark.parametrize(
    "name",
    ["caf\udce9.json", "n" * 300 + ".json", "\x1b]0;title\x07.json"],
    ids=["latin-1 bytes", "too long", "escapes"],
)
def test_a_vault_path_no_menu_entry_can_hold_is_one_line(
    cli: Cli, tree: Tree, tmp_path: Path, no_tools: dict[str, str], name: str
) -> None:
    # Undecodable bytes (a Latin-1 name) cannot go into a UTF-8 .desktop file, a name no
    # file system takes would fail at every start, and control characters break the entry.
    result = cli("--vault", str(tmp_path / name), "desktop", "install", env=no_tools)
    assert_user_error(result, "vault")
    assert "\x1b" not in result.stderr
    assert not tree.entry.exists()


def test_desktop_without_an_action_is_a_usage_error(cli: Cli) -> None:
    result = cli("desktop")
    assert result.returncode == 2
    assert "install" in result.stderr


# --- the pieces ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF)), min_size=1, max_size=4
    )
)
def test_any_arguments_survive_exec_quoting(arguments: list[str]) -> None:
    assert exec_arguments(exec_value(arguments)) == arguments


def test_a_generated_entry_with_awkward_paths_validates(tmp_path: Path) -> None:
    template = resource_path(DESKTOP_ID).read_text()
    awkward = ['/opt/Key fob/"quoted" `tick` \\back\\/keyfob', "--vault", "/v/100% $x.json"]
    path = tmp_path / DESKTOP_ID
    for autostart in (False, True):
        path.write_text(desktop_entry(template, awkward, autostart=autostart))
        validate(path)
        expected = [*awkward, "--minimized"] if autostart else [*awkward, "%u"]
        assert exec_arguments(read_entry(path)["Exec"]) == expected


mimeapps_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                DEFAULTS_SECTION,
                "[Added Associations]",
                "",
                "# comment",
                f"{SCHEMES[0]}=other.desktop;",
                f"{SCHEMES[1]}={DESKTOP_ID};x.desktop",
                f"{SCHEMES[0]}={DESKTOP_ID}",
                "text/html=firefox.desktop;",
            ]
        ),
        st.text(max_size=30),
    ),
    max_size=12,
).map("\n".join)


def _others(text: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if line.strip()
        and line.strip() != DEFAULTS_SECTION
        and DESKTOP_ID not in line
        and not any(line.startswith(f"{s}=") for s in SCHEMES)
    ]


def _default_section(text: str) -> list[str]:
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip() == DEFAULTS_SECTION)
    section = lines[header + 1 :]
    end = next((i for i, line in enumerate(section) if line.lstrip().startswith("[")), None)
    return section[:end]


def _handlers(section: list[str], scheme: str) -> list[list[str]]:
    return [
        [item for item in line.split("=", 1)[1].split(";") if item]
        for line in section
        if line.partition("=")[0].strip() == scheme
    ]


@settings(max_examples=200, deadline=None)
@given(mimeapps_text)
def test_mimeapps_edits_touch_only_keyfobs_entries(text: str) -> None:
    made = make_default(text)
    for scheme in SCHEMES:
        handlers = _handlers(_default_section(made), scheme)
        assert handlers
        assert all(ids[0] == DESKTOP_ID for ids in handlers)
    assert _others(made) == _others(text)
    removed = remove_default(made)
    for scheme in SCHEMES:
        assert all(DESKTOP_ID not in ids for ids in _handlers(_default_section(removed), scheme))
    assert _others(removed) == _others(text)
    if DESKTOP_ID not in text:  # nothing of Keyfob's: the text comes back as it was
        assert remove_default(text) == text
