"""`keyfob desktop install|uninstall`: Keyfob in this user's menu, as the handler of links.

Per user, after the XDG base directory, desktop entry and MIME applications specifications:
- the menu entry: $XDG_DATA_HOME/applications/io.github.keyfob.Keyfob.desktop, running the
  `keyfob` in use by its absolute path (a venv's, a bundle's), so it works off PATH too;
- the icon: $XDG_DATA_HOME/icons/hicolor/SIZE/apps/ (PNGs) and scalable/apps/ (the SVG);
- the default handler of otpauth:// and keyfob:// links: `xdg-mime default` when it is
  installed, else written into $XDG_CONFIG_HOME/mimeapps.list [Default Applications];
- with --autostart: $XDG_CONFIG_HOME/autostart/io.github.keyfob.Keyfob.desktop, which starts
  `keyfob --minimized` (into the tray) at login so push prompts arrive.
Uninstall removes each of these, and only Keyfob's entries from mimeapps.list.

This is file copying: no Qt here (the CLI never imports it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.cli.errors import CliError
from app.cli.output import note
from app.core.files import atomic_write
from app.data_files import APP_ID, resource_path

DESKTOP_ID = f"{APP_ID}.desktop"
SCHEMES = ("x-scheme-handler/otpauth", "x-scheme-handler/keyfob")
DEFAULTS_SECTION = "[Default Applications]"
_TOOL_TIMEOUT_S = 30
# Characters that make the desktop entry spec require an Exec argument to be quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
# The longest file name and path (in bytes) that Linux file systems take.
_NAME_MAX = 255
_PATH_MAX = 4096


class DesktopInstallError(CliError):
    """The menu entry, icons or link handlers could not be installed or removed."""


@dataclass(frozen=True)
class XdgDirs:
    """The per-user folders of the XDG base directory specification."""

    data_home: Path
    config_home: Path

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> XdgDirs:
        env = os.environ if env is None else env
        home = Path(env.get("HOME") or Path.home())

        def folder(variable: str, default: Path) -> Path:
            # The spec: a relative path in the variable is invalid and is to be ignored.
            value = env.get(variable, "")
            return Path(value) if value and Path(value).is_absolute() else default

        return cls(
            folder("XDG_DATA_HOME", home / ".local" / "share"),
            folder("XDG_CONFIG_HOME", home / ".config"),
        )

    @property
    def applications(self) -> Path:
        return self.data_home / "applications"

    @property
    def hicolor(self) -> Path:
        return self.data_home / "icons" / "hicolor"

    @property
    def autostart(self) -> Path:
        return self.config_home / "autostart"

    @property
    def mimeapps(self) -> Path:
        return self.config_home / "mimeapps.list"


# --- the command that starts this Keyfob ---------------------------------------------------


def keyfob_command() -> list[str]:
    """How to start the Keyfob that runs now, by absolute paths."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its own executable
        return [str(Path(sys.executable).absolute())]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.stem == "keyfob" and script.is_file():
        # absolute(), not resolve(): /usr/local/bin/keyfob stays valid across upgrades.
        return [str(script.absolute())]
    beside = Path(sys.executable).with_name("keyfob")
    if beside.is_file():
        return [str(beside.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "app"]


def quote_exec_argument(argument: str) -> str:
    """One argument of an Exec key, quoted and escaped as the desktop entry spec says."""
    if any(ord(c) < 0x20 for c in argument):
        raise DesktopInstallError(
            "the path of keyfob contains a control character, which a menu entry cannot "
            "hold: install Keyfob in a folder with a plain name"
        )
    if argument and not (_RESERVED & set(argument)):
        return argument
    inner = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{inner}"'


def exec_value(arguments: list[str]) -> str:
    """The value of an Exec key: quoted arguments, then the string escapes of the format."""
    line = " ".join(quote_exec_argument(argument) for argument in arguments)
    # The string escape (\\ for \) applies on top of the quoting, and % starts field codes.
    return line.replace("\\", "\\\\").replace("%", "%%")


def _entry_value(text: str) -> str:
    return text.replace("\\", "\\\\")


def desktop_entry(template: str, command: list[str], *, autostart: bool = False) -> str:
    """The .desktop file's text with Exec (and TryExec) pointing at `command`."""
    # At login: into the tray, and no link (%u) to open.
    arguments = [*command, "--minimized"] if autostart else command
    exec_line = exec_value(arguments) + ("" if autostart else " %u")
    lines: list[str] = []
    for line in template.splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "Exec":
            lines.append(f"Exec={exec_line}")
            lines.append(f"TryExec={_entry_value(command[0])}")
        elif key == "TryExec" or (autostart and key == "MimeType"):
            continue
        elif autostart and key == "StartupNotify":
            # No window shows at login, so no busy cursor should wait for one.
            lines.append("StartupNotify=false")
        else:
            lines.append(line)
    if autostart:
        lines.append("X-GNOME-Autostart-enabled=true")
    return "\n".join(lines) + "\n"


# --- mimeapps.list -------------------------------------------------------------------------


def _edit_defaults(text: str, edit: Callable[[list[str]], list[str]]) -> str:
    """Apply `edit(desktop_ids) -> desktop_ids` to the value of each of SCHEMES in the
    [Default Applications] section of a mimeapps.list. Every other line stays as it was,
    and text needing no change comes back unchanged."""
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if line.strip() == DEFAULTS_SECTION), None)
    end = len(lines)
    if header is not None:
        end = next(
            (i for i in range(header + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
    edited: list[str] = []
    seen: set[str] = set()
    for position, line in enumerate(lines):
        key, sep, value = line.partition("=")
        inside = header is not None and header < position < end
        if inside and sep and key.strip() in SCHEMES:
            seen.add(key.strip())
            before = [item.strip() for item in value.split(";") if item.strip()]
            after = edit(before)
            if after == before:
                edited.append(line)
            elif after:
                edited.append(f"{key.strip()}={';'.join(after)};")
            continue  # a key left with no application goes
        edited.append(line)
    new = [f"{t}={';'.join(ids)};" for t in SCHEMES if t not in seen and (ids := edit([]))]
    if not new:
        return text if edited == lines else "\n".join(edited) + "\n"
    if header is None:
        if edited and edited[-1].strip():
            edited.append("")
        edited += [DEFAULTS_SECTION, *new]
    else:
        edited[header + 1 : header + 1] = new
    return "\n".join(edited) + "\n"


def make_default(text: str) -> str:
    """mimeapps.list text with Keyfob the default for its link schemes (others kept after)."""
    return _edit_defaults(text, lambda ids: [DESKTOP_ID, *(i for i in ids if i != DESKTOP_ID)])


def remove_default(text: str) -> str:
    """mimeapps.list text without Keyfob among the default handlers of its link schemes."""
    return _edit_defaults(text, lambda ids: [i for i in ids if i != DESKTOP_ID])


def _write_atomically(path: Path, text: str) -> None:
    # Through a symlink (dotfile managers link mimeapps.list) to the file it points at.
    target = path.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text.encode("utf-8"))


def _update_mimeapps(path: Path, change: Callable[[str], str]) -> None:
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except UnicodeDecodeError:
        raise DesktopInstallError(
            f"{path} is not UTF-8 text: fix or remove it, then run this again"
        ) from None
    updated = change(text)
    if updated != text:
        _write_atomically(path, updated)


# --- install and uninstall -----------------------------------------------------------------


def _run_tool(arguments: list[str], env: Mapping[str, str]) -> bool:
    """Run a desktop tool if it is installed; False when missing or failing (never fatal)."""
    tool = shutil.which(arguments[0], path=env.get("PATH"))
    if tool is None:
        return False
    try:
        result = subprocess.run(
            [tool, *arguments[1:]],
            env=dict(env),
            capture_output=True,
            timeout=_TOOL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _resource(*parts: str) -> Path:
    path = resource_path(*parts)
    if not path.is_file():
        raise DesktopInstallError(
            f"Keyfob's file {path} is missing: reinstall Keyfob, then run this again"
        )
    return path


def _icon_files() -> list[tuple[Path, Path]]:
    """(source, path under hicolor/) of every icon size Keyfob ships."""
    icons = [(_resource(f"{APP_ID}.svg"), Path("scalable") / "apps" / f"{APP_ID}.svg")]
    hicolor = resource_path("icons", "hicolor")
    for png in sorted(hicolor.glob(f"*/apps/{APP_ID}.png")):
        icons.append((png, png.relative_to(hicolor)))
    if len(icons) == 1:
        raise DesktopInstallError(
            f"Keyfob's icons are missing from {hicolor}: reinstall Keyfob, then run this again"
        )
    return icons


@dataclass
class Installer:
    dirs: XdgDirs
    command: list[str]
    env: Mapping[str, str]

    def install(self, autostart: bool | None) -> None:
        template = _resource(DESKTOP_ID).read_text(encoding="utf-8")
        entry = self.dirs.applications / DESKTOP_ID
        _write_atomically(entry, desktop_entry(template, self.command))
        print(f"Menu entry: {entry}")
        for source, relative in _icon_files():
            target = self.dirs.hicolor / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        self._icons_changed()
        print(f"Icons: {self.dirs.hicolor}")
        self._register_links()
        print("Opens otpauth:// and keyfob:// links: yes")
        autostart_file = self.dirs.autostart / DESKTOP_ID
        if autostart is None:
            # Not asked: keep the choice made before, with Exec pointing at this keyfob.
            autostart = autostart_file.exists()
        if autostart:
            _write_atomically(autostart_file, desktop_entry(template, self.command, autostart=True))
            print(f"Starts at login, in the tray: yes ({autostart_file})")
        else:
            autostart_file.unlink(missing_ok=True)
            print("Starts at login: no (--autostart to start it, in the tray)")
        self._menu_changed()

    def uninstall(self) -> None:
        removed: list[Path] = []
        for path in (self.dirs.applications / DESKTOP_ID, self.dirs.autostart / DESKTOP_ID):
            if path.exists():
                path.unlink()
                removed.append(path)
        for _source, relative in _icon_files():
            icon = self.dirs.hicolor / relative
            if icon.exists():
                icon.unlink()
                removed.append(icon)
        self._icons_changed()
        if self.dirs.mimeapps.exists():
            _update_mimeapps(self.dirs.mimeapps, remove_default)
        self._menu_changed()
        for path in removed:
            print(f"Removed {path}")
        if not removed:
            print("Keyfob was not installed in this user's menu: nothing to remove.")

    def _register_links(self) -> None:
        if not _run_tool(["xdg-mime", "default", DESKTOP_ID, *SCHEMES], self.env):
            _update_mimeapps(self.dirs.mimeapps, make_default)

    def _icons_changed(self) -> None:
        # A newer folder time makes icon theme caches look again. No icon-theme.cache is
        # written: one left in a user's hicolor folder hides the icons added later by others.
        if self.dirs.hicolor.is_dir():
            os.utime(self.dirs.hicolor)

    def _menu_changed(self) -> None:
        if self.dirs.applications.is_dir():
            _run_tool(["update-desktop-database", "-q", str(self.dirs.applications)], self.env)


def _vault_for_entry(vault: str) -> str:
    """--vault as the menu entry will pass it: absolute, and a path a file can have."""
    path = Path(vault).expanduser().absolute()
    text = str(path)
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        # Undecodable bytes in the name: a .desktop file is UTF-8 text and cannot hold them.
        raise DesktopInstallError(
            "the vault's path is not valid UTF-8 text, which a menu entry must be: "
            "rename its folder or file, then run this again"
        ) from None
    if any(ord(c) < 0x20 or c == "\x7f" for c in text):
        raise DesktopInstallError(
            "the vault's path holds control characters, which a menu entry cannot hold: "
            "rename its folder or file, then run this again"
        )
    # Nothing checks the path now (the vault need not exist yet), so a name no file system
    # takes would only fail at every start from the menu.
    if len(raw) >= _PATH_MAX or any(len(os.fsencode(part)) > _NAME_MAX for part in path.parts):
        raise DesktopInstallError("the vault's path is too long for a file: choose a shorter one")
    return text


def cmd_desktop(action: str, autostart: bool | None, vault: str | None = None) -> int:
    if sys.platform in ("win32", "darwin"):
        raise DesktopInstallError(
            "`keyfob desktop` sets up Linux desktops; see packaging/README.md for Windows and macOS"
        )
    if Path("/.flatpak-info").exists():
        raise DesktopInstallError(
            "this Keyfob runs in Flatpak, which installs its menu entry and link handlers itself"
        )
    command = keyfob_command()
    if vault:
        command += ["--vault", _vault_for_entry(vault)]
    installer = Installer(XdgDirs.from_environment(), command, os.environ)
    if action == "install":
        installer.install(autostart)
        note("Keyfob is in the applications menu. Undo with `keyfob desktop uninstall`.")
    else:
        installer.uninstall()
    return 0


def add_desktop_parser(parser: argparse.ArgumentParser) -> None:
    """The arguments of `keyfob desktop`."""
    actions = parser.add_subparsers(dest="desktop_action", required=True)
    install = actions.add_parser(
        "install",
        help="add Keyfob to this user's menu and make it open otpauth:// and keyfob:// links",
        description="Add Keyfob to this user's applications menu, with its icon, and make it "
        "the handler of otpauth:// and keyfob:// links. --vault PATH before `desktop` makes "
        "the menu entry open that vault.",
    )
    install.add_argument(
        "--autostart",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start Keyfob at login, in the tray, so push prompts arrive "
        "(default: keep the current choice; off on a first install)",
    )
    actions.add_parser("uninstall", help="remove what `keyfob desktop install` added")
