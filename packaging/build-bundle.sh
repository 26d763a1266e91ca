#!/usr/bin/env bash
# Build Keyfob as a one-folder app with PyInstaller (packaging/keyfob.spec), then check that
# it starts:
#   bash packaging/build-bundle.sh      ->  build/bundle/keyfob/keyfob  (run it; ship the folder)
# The build has its own virtual environment (build/bundle-venv) with Keyfob's dependencies
# and PyInstaller, so the development .venv is left alone. It takes a few minutes and is
# not part of tests/run.sh. Checks: `keyfob --version`; `keyfob --self-test` offscreen (opens
# a throwaway vault, shows the main window, quits); `keyfob desktop install` into a
# temporary XDG tree, with the menu entry pointing at the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=build/bundle-venv
out=build/bundle
python=${PYTHON:-python3}

say() { printf 'build-bundle: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

bash packaging/setup.sh  # Qt's system libraries: the checks below start the app

if [ ! -x "$venv/bin/python" ]; then
  say "creating the build environment in $venv"
  "$python" -m venv "$venv"
fi
say "installing Keyfob's dependencies and PyInstaller into $venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# [server] brings aiohttp, which `keyfob push listen` uses. The spec analyses app/ from this
# checkout; the installed copy is there for its dependencies.
"$venv/bin/python" -m pip install -q ".[server]" "pyinstaller>=6.10"
rm -rf build/lib build/bdist.* # what setuptools left building that install in the checkout

say "building into $out"
rm -rf "$out" build/bundle-work
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$out" --workpath build/bundle-work packaging/keyfob.spec

bin="$out/keyfob/keyfob"
[ -x "$bin" ] || fail "no executable at $bin"

expected="keyfob $("$venv/bin/python" -c 'import sys; sys.path.insert(0, "."); from app import __version__; print(__version__)')"
version=$("$bin" --version) || fail "$bin --version exited with $?"
[ "$version" = "$expected" ] || fail "--version said '$version', expected '$expected'"
say "--version: $version"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Nothing of the user's: its own HOME, XDG folders and runtime folder.
isolated=(env -u DISPLAY -u WAYLAND_DISPLAY HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/config"
  XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch" QT_QPA_PLATFORM=offscreen)
mkdir -p "$scratch/home"
chmod 700 "$scratch"
self_test=$("${isolated[@]}" timeout 120 "$bin" --self-test) || fail "--self-test exited with $?"
say "$self_test"

"${isolated[@]}" PATH=/nonexistent "$bin" desktop install >/dev/null ||
  fail "desktop install exited with $?"
entry="$scratch/data/applications/io.github.keyfob.Keyfob.desktop"
grep -qxF "Exec=$root/$bin %u" "$entry" || fail "the menu entry does not run $root/$bin: $(grep '^Exec=' "$entry")"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$entry" || fail "the installed menu entry is not valid"
fi
[ -f "$scratch/data/icons/hicolor/256x256/apps/io.github.keyfob.Keyfob.png" ] ||
  fail "desktop install put no icon"
say "desktop install: menu entry and icons from the bundle"

size=$(du -sh "$out/keyfob" | cut -f1)
files=$(find "$out/keyfob" -type f | wc -l)
say "built $out/keyfob: $size in $files files; it starts and passes its self-test"
