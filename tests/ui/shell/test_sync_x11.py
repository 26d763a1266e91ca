"""The desktop app under a real X server (Xvfb), on a vault in a synced folder: a sync tool's
conflict copy of the vault appears beside it while the app runs, and the app merges it: the
account it brought is in the list, a notice says so, and the copy is gone from the folder,
kept in the backups.

The app runs as `keyfob` runs it (tests/ui/sync_driver.py), on the xcb platform plugin of a
private Xvfb, with the vault named by the preferences (as after "Open an existing vault…").
How long the merge took is printed; the target (within a second) is a speed figure, so the
test only waits for it with a deadline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.vault.backups import backups_dir
from app.vault.kdf import KdfParams
from app.vault.preferences import Preferences
from app.vault.store import Vault
from tests.ui.app_process import AppProcess, app_environment
from tests.ui.conftest import PASSWORD, SAMPLE, account
from tests.xvfb import private_display

SYNCTHING_COPY = "vault.sync-conflict-20261204-101010-ABCDEF7.json"


@pytest.fixture
def display() -> Iterator[str]:
    with private_display() as name:
        yield name


def test_a_conflict_copy_appearing_is_merged_by_the_app_on_a_real_x_server(
    tmp_path: Path, display: str
) -> None:
    synced = tmp_path / "Sync" / "Keyfob" / "vault.json"
    vault = Vault.create(synced, PASSWORD, kdf=KdfParams.for_tests())
    vault.add_accounts(SAMPLE[:3])
    Preferences(tmp_path / "config").set_vault_path(synced)  # as "Open an existing vault…"
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    runtime = Path(tempfile.mkdtemp(prefix="kf-"))  # short: a socket path fits
    runtime.chmod(0o700)
    env = app_environment(tmp_path, runtime, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    app = AppProcess(password_file, env)
    try:
        opened = app.wait_for("unlocked")
        assert opened["platform"] == "xcb"
        assert opened["exposed"]
        assert opened["vault"] == str(synced)
        assert opened["accounts"] == [a.label for a in SAMPLE[:3]]

        # The laptop added an account meanwhile; Syncthing brings its version in as a
        # conflict copy (written under a temporary name, then renamed, as Syncthing does).
        replica_path = tmp_path / "laptop" / "vault.json"
        replica_path.parent.mkdir()
        shutil.copyfile(synced, replica_path)
        replica = Vault.open(replica_path, PASSWORD)
        gitlab = account("GitLab", "alice@gitlab.example", "GEZDGNBVGY3TQOJS")
        replica.add_accounts([gitlab])
        temporary = synced.parent / f".syncthing.{SYNCTHING_COPY}.tmp"
        temporary.write_bytes(replica_path.read_bytes())
        appeared = time.monotonic()
        os.replace(temporary, synced.parent / SYNCTHING_COPY)

        listed = app.wait_for("accounts", lambda event: gitlab.label in event["accounts"])
        notice = app.wait_for(
            "notice", lambda event: "Merged the Syncthing conflict copy" in event["text"]
        )
        assert "1 account added" in notice["text"]
        assert not (synced.parent / SYNCTHING_COPY).exists()
        kept = backups_dir(synced) / f"conflict-{SYNCTHING_COPY}"
        assert kept.read_bytes() == replica_path.read_bytes()
        print(f"\nconflict copy to account listed: {listed['at'] - appeared:.3f} s")
        print(f"conflict copy to notice shown:   {notice['at'] - appeared:.3f} s")
    finally:
        app.quit()
        shutil.rmtree(runtime, ignore_errors=True)
    assert "Traceback" not in app.stderr, app.stderr
