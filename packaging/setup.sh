#!/usr/bin/env bash
# Sets up Keyfob from a source checkout on Debian/Ubuntu (and best effort elsewhere):
# the system libraries Qt needs, a virtual environment in .venv (pip refuses to install into
# the system Python under PEP 668), and Keyfob in it. Safe to run again; it only adds what
# is missing.
#   packaging/setup.sh          what the desktop app and the CLI need
#   packaging/setup.sh --test   plus what the test suite needs (oathtool, Xvfb, test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

say() { printf 'keyfob setup: %s\n' "$*" >&2; }

# Debian package names. Qt's offscreen/xcb platform plugins and QtMultimedia load these.
packages=(python3 python3-venv python3-pip
  libgl1 libegl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
  fonts-dejavu-core libpulse0 libxrandr2
  xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0)
if [ "$with_tests" = 1 ]; then
  # libatomic1: the node binary inside the playwright wheel needs it (a bare Debian lacks it)
  # postgresql, nginx: the multi-node push server's real database and proxy in tests
  # gnome-keyring, libsecret-tools: a real Secret Service (on a private bus: dbus-daemon) for
  # the quick unlock tests, and secret-tool to look at what Keyfob stored there
  packages+=(oathtool xvfb git dbus-daemon desktop-file-utils appstream xdg-utils chromium libatomic1
    postgresql nginx gnome-keyring libsecret-tools)
fi

if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  # Installed means unpacked and configured (not merely "config-files" left by a removal),
  # either under its own name or provided by another: Ubuntu 24.04 ships libglib2.0-0 as
  # libglib2.0-0t64, which provides the old name.
  declare -A present=()
  while IFS=$'\t' read -r status name provides; do
    [ "$status" = installed ] || continue
    present[$name]=1
    IFS=',' read -ra virtual <<<"$provides"
    for v in "${virtual[@]}"; do
      v=${v# }
      v=${v%% *}
      if [ -n "$v" ]; then present[$v]=1; fi
    done
  done < <(dpkg-query -W -f='${db:Status-Status}\t${Package}\t${Provides}\n' 2>/dev/null)
  missing=()
  for p in "${packages[@]}"; do
    [ -n "${present[$p]:-}" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null 2>&1 || { say "need root or sudo to install: ${missing[*]}"; exit 1; }
      sudo="sudo"
    fi
    say "installing system packages: ${missing[*]}"
    # Through env: sudo drops the caller's environment, and debconf must not stop to ask.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  say "not a Debian-like system: install Python 3.11+ with venv, and Qt 6's system libraries, yourself"
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "Keyfob needs Python 3.11 or newer; $python is $("$python" --version 2>&1)"
  exit 1
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  say "creating the virtual environment in .venv"
  rm -rf .venv
  "$python" -m venv .venv
fi

extra=""
[ "$with_tests" = 1 ] && extra="[test]"
# Reinstall only when pyproject.toml changed since the last install.
stamp=".venv/.keyfob-installed$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing Keyfob$extra into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  touch "$stamp"
fi
# PySide6 compiles its embedded support modules at every start unless they are unpacked and
# compiled once (13 ms of each start); redone only when PySide6's version changed.
.venv/bin/python packaging/precompile_pyside.py
