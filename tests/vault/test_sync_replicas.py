"""Issue 13's property: two or three computers share one vault through a sync tool, edit it
in any order, and the tool replaces files and leaves conflict copies as it pleases; once
everything is synced, no edit is lost.

Each computer ("replica") is a Vault of its own on its own copy of the file, in its own
folder. Hypothesis draws a list of steps: an edit on one replica (add, remove, rename,
regroup, favourite, a HOTP code shown, a push enrollment added or removed), or a sync event
(a replica's file replaced by another's bytes; another's file appearing beside it as a
conflict copy under a real tool's name; both at once, as Syncthing does: the losing file
renamed to a conflict copy, the winner put in its place). Then every replica's file is
dropped beside every other until they agree, and:

- all replicas hold the same accounts (same uuids, same field values);
- an account added anywhere is there unless it was deleted; and one deleted by a replica
  that had seen every change made to it anywhere is gone;
- no HOTP counter is lower than the highest any replica ever held;
- no conflict copy is left beside any vault, and each one is kept in its backups folder.

The test keeps, beside the real vaults, what each replica and each file has seen: the set of
edits ("events") that reached it. That is what "a replica had seen a change" means above.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import Account, OtpType
from app.vault import Vault, VaultContent
from app.vault.account_edits import advance_hotp, edit_account, remove_account
from app.vault.backups import backups_dir
from app.vault.conflict_copies import MOVED_PREFIX, find_conflict_copies
from tests.vault.conftest import PASSWORD, cheap

EDITS = ("add", "remove", "rename", "regroup", "favourite", "hotp", "enroll", "unenroll")
# Real names of each tool's conflict copies of "vault.json" (see test_conflict_copies.py for
# where each comes from), numbered so that no two in one run collide.
COPY_NAMES: tuple[Callable[[int], str], ...] = (
    lambda n: f"vault.sync-conflict-20261204-{n:06d}-ABCDEFG.json",
    lambda n: f"vault (conflicted copy 2026-12-04 {n:06d}).json",
    lambda n: f"vault (Alice's conflicted copy 2026-12-04 ({n})).json",
    lambda n: f"vault-DESKTOP-{n}.json",
    lambda n: f"vault ({n}).json",
    lambda n: f"vault (SFConflict alice@example.com 2026-12-04-{n}).json",
)

# Adds, removes and codes shown are drawn more often: they make the cases that matter (an
# account edited on one computer while another deletes it, counters on both sides).
WEIGHTED_EDITS = (*EDITS, "add", "add", "remove", "hotp", "hotp")


def steps_for(replicas: int) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    replica = st.integers(0, replicas - 1)
    edit = st.tuples(st.just("edit"), replica, st.sampled_from(WEIGHTED_EDITS), st.integers(0, 99))
    return st.lists(
        st.one_of(
            edit,
            edit,
            st.tuples(st.just("replace"), replica, replica),
            st.tuples(st.just("copy"), replica, replica, st.integers(0, len(COPY_NAMES) - 1)),
            st.tuples(st.just("both"), replica, replica, st.integers(0, len(COPY_NAMES) - 1)),
            st.tuples(st.just("refresh"), replica),
        ),
        max_size=40,
    )


RUNS = st.integers(2, 3).flatmap(lambda n: st.tuples(st.just(n), steps_for(n)))


@dataclass
class World:
    """The replicas, and what each of them and each of their files has seen."""

    vaults: list[Vault]
    seen: list[set[int]]  # by replica: the events its content holds
    file_seen: list[set[int]]  # by replica: the events its file holds
    beside: list[dict[Path, set[int]]]  # by replica: the copies beside its file
    events: dict[str, set[int]] = field(default_factory=dict)  # by account uuid
    deleted: list[tuple[str, frozenset[int]]] = field(default_factory=list)
    highest_counter: dict[str, int] = field(default_factory=dict)
    copies_made: list[int] = field(default_factory=list)  # by replica
    counter: int = 0

    def next(self) -> int:
        self.counter += 1
        return self.counter

    def act(self, r: int, action: Callable[[Vault], Any]) -> Any:
        """Run `action` on replica r and follow what it took in and whether it saved."""
        vault = self.vaults[r]
        before = vault.path.read_bytes()
        result = action(vault)
        self.seen[r] |= self.file_seen[r]  # a replaced file is merged on the next read
        for copy, events in list(self.beside[r].items()):
            if not copy.exists():  # taken in
                self.seen[r] |= events
                del self.beside[r][copy]
        if vault.path.read_bytes() != before:
            self.file_seen[r] = set(self.seen[r])
        for replica in self.vaults:
            for account in replica.content.accounts:
                held = self.highest_counter.get(account.uuid, 0)
                self.highest_counter[account.uuid] = max(held, account.counter)
        return result

    def drop_copy(self, r: int, s: int, name: int, events: set[int], source: Path) -> None:
        copy = self.vaults[r].path.parent / COPY_NAMES[name](self.next())
        shutil.copy(source, copy)
        self.beside[r][copy] = set(events)
        self.copies_made[r] += 1


def edit(world: World, r: int, kind: str, pick: int) -> None:
    number = world.next()

    def change(content: VaultContent) -> tuple[str, str] | None:
        if kind == "add":
            new = Account(
                secret=hashlib.sha256(f"secret {number}".encode()).digest()[:10],
                issuer=f"Site {number}",
                name=f"user{number}",
                type=OtpType.HOTP if number % 2 else OtpType.TOTP,
            )
            content.accounts.append(new)
            return ("edit", new.uuid)
        if kind == "enroll":
            content.push.append({"url": f"https://push{pick % 3}", "device_id": f"d{number}"})
            return None
        if kind == "unenroll":
            if content.push:
                content.push.pop(pick % len(content.push))
            return None
        if not content.accounts:
            return None
        target = content.accounts[pick % len(content.accounts)]
        if kind == "remove":
            remove_account(content, target.uuid)
            return ("delete", target.uuid)
        if kind == "hotp":
            return ("edit", target.uuid) if advance_hotp(content, target.uuid) else None
        changes: dict[str, object] = {
            "rename": {"name": f"renamed {number}"},
            "regroup": {"groups": (f"Group {pick % 3}",)},
            "favourite": {"favourite": not target.favourite},
        }[kind]
        edit_account(content, target.uuid, changes)
        return ("edit", target.uuid)

    done = world.act(r, lambda vault: vault.modify(change))
    if done is None:
        return
    what, uuid = done
    if what == "edit":
        world.events.setdefault(uuid, set()).add(number)
        world.seen[r].add(number)
        world.file_seen[r].add(number)
    else:
        known = world.seen[r] & world.events.get(uuid, set())
        world.deleted.append((uuid, frozenset(known)))


def sync_event(world: World, step: tuple[Any, ...]) -> None:
    kind, r, s = step[0], step[1], step[2]
    target, source = world.vaults[r].path, world.vaults[s].path
    if r == s:
        return
    if kind == "replace":
        shutil.copy(source, target)
        world.file_seen[r] = set(world.file_seen[s])
    elif kind == "copy":
        world.drop_copy(r, s, step[3], world.file_seen[s], source)
    else:  # "both": the losing file becomes the copy, the winner takes its place
        world.drop_copy(r, r, step[3], world.file_seen[r], target)
        shutil.copy(source, target)
        world.file_seen[r] = set(world.file_seen[s])


def sync_everything(world: World) -> None:
    """Drop every replica's file beside every other until all agree (a few rounds)."""
    for _ in range(6):
        for r in range(len(world.vaults)):
            # refresh writes back what a replica holds beyond its file (a replaced file it
            # merged on reading), as the desktop app's next refresh or any save does.
            world.act(r, lambda vault: (vault.take_in_conflict_copies(), vault.refresh()))
        if len({_accounts_key(vault) for vault in world.vaults}) == 1:
            return
        for r in range(len(world.vaults)):
            for s in range(len(world.vaults)):
                if r != s:
                    world.drop_copy(
                        r, s, (r + s) % len(COPY_NAMES), world.file_seen[s], world.vaults[s].path
                    )


def _accounts_key(vault: Vault) -> str:
    return repr(sorted((a.uuid, repr(a)) for a in vault.content.accounts))


def accounts(vault: Vault) -> dict[str, Account]:
    return {a.uuid: a for a in vault.content.accounts}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(run=RUNS)
def test_synced_replicas_lose_no_edit(run: tuple[int, list[tuple[Any, ...]]]) -> None:
    replicas, steps = run
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        first = Vault.create(root / "computer0" / "vault.json", PASSWORD, kdf=cheap())
        vaults = [first]
        for index in range(1, replicas):
            folder = root / f"computer{index}"
            folder.mkdir()
            shutil.copy(first.path, folder / "vault.json")
            vaults.append(Vault.open(folder / "vault.json", PASSWORD))
        world = World(
            vaults,
            [set() for _ in vaults],
            [set() for _ in vaults],
            [{} for _ in vaults],
            copies_made=[0 for _ in vaults],
        )

        for step in steps:
            if step[0] == "edit":
                edit(world, step[1], step[2], step[3])
            elif step[0] == "refresh":
                world.act(step[1], lambda vault: vault.refresh())
            else:
                sync_event(world, step)
        sync_everything(world)

        final = accounts(vaults[0])
        for vault in vaults[1:]:
            assert accounts(vault) == final
        deleted = {uuid for uuid, _ in world.deleted}
        for uuid in world.events:
            if uuid not in deleted:
                assert uuid in final, "an account nobody deleted is missing"
        for uuid, known in world.deleted:
            if known == world.events.get(uuid, set()):
                assert uuid not in final, "deleted after every change to it, yet back"
        for uuid, account in final.items():
            assert account.counter >= world.highest_counter.get(uuid, 0)
        for index, vault in enumerate(vaults):
            assert find_conflict_copies(vault.path) == []
            folder = backups_dir(vault.path)
            kept = list(folder.glob(f"{MOVED_PREFIX}*")) if folder.exists() else []
            assert len(kept) == world.copies_made[index]
