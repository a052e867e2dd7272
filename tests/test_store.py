"""Files written by `snapshot add`: readable by whoever serves them, and what a crash can leave.

Permissions are proved across users: the tests run as root, add as root and read as `nobody`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import BIN, NEW, NEW_FACTS, OLD_FACTS, REPO, tree_digest, write_facts

from redengine.data import snapshots, store
from redengine.data.db import Database
from redengine.ops import cli

INVALID = 2
UNPRIVILEGED = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
READ_AS_ANOTHER_USER = """
import sys
from redengine.data.db import Database
frame = Database(sys.argv[1]).query("snapshot_summary", snapshot_ids=[sys.argv[2]])
print(int(frame["figures"].item()))
"""

spec = importlib.util.spec_from_file_location("faults", REPO / "benchmarks" / "faults.py")
faults = importlib.util.module_from_spec(spec)
spec.loader.exec_module(faults)


@pytest.fixture
def shared_dir(fixture_template):
    """A copy of the fixture data in a folder every user can enter (pytest's own folder is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="redengine-shared-"))
    folder.chmod(0o755)
    try:
        yield Path(shutil.copytree(fixture_template, folder / "data"))
    finally:
        shutil.rmtree(folder)


def _needs_root_to_switch_user() -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("switching to the user 'nobody' needs root and setpriv (util-linux)")


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def test_added_files_are_readable_by_the_user_who_serves_them(shared_dir, tmp_path):
    _needs_root_to_switch_user()
    added = snapshots.add(Database(shared_dir), write_facts(tmp_path / "n.parquet", NEW_FACTS), "shared")
    modes = _modes(shared_dir / "snapshots")
    for file in (*added.stored_files(), "manifest.json"):
        assert modes[file] == 0o644, file  # as the files beside them, never mkstemp's 0600
    done = subprocess.run(
        [*UNPRIVILEGED, str(BIN / "python"), "-c", READ_AS_ANOTHER_USER, str(shared_dir), "shared"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(NEW_FACTS))


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    store.atomic_write_bytes(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.parquet"
    store.atomic_write_bytes(fresh, b"x")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640  # as the file beside it


def test_a_read_only_data_directory_is_a_clear_error(shared_dir, tmp_path):
    _needs_root_to_switch_user()  # root writes anyway: the unprivileged user meets the read-only directory
    file = write_facts(shared_dir.parent / "new.parquet", OLD_FACTS)
    before = tree_digest(shared_dir)
    done = subprocess.run(
        [*UNPRIVILEGED, str(BIN / "redengine"), "snapshot", "add", str(file), "--id", "ro"],
        env={**os.environ, store.DATA_DIR_ENV: str(shared_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == INVALID, done.stderr
    assert "snapshots/ cannot be written (Permission denied); nothing was added. Fix:" in done.stderr
    assert "Traceback" not in done.stderr
    assert tree_digest(shared_dir) == before


# -- what a crash leaves, and collecting it ------------------------------------------------------------


def test_gc_removes_what_interrupted_adds_leave_and_nothing_else(real_data_copy, tmp_path, use_data_dir, capsys):
    snapshots_dir = real_data_copy / "snapshots"
    (snapshots_dir / "notes.parquet").write_bytes(b"an analyst's own file")  # not made by add: kept
    file = faults.write_snapshot_file(tmp_path / "add.parquet", real_data_copy)
    faults.interrupted_adds(real_data_copy, file, count=8, seed=3)
    # What a crash left, made certain: a temporary file and a complete, unlisted snapshot file.
    (snapshots_dir / ".manifest.json.abcd1234.tmp").write_bytes(b"{")
    (snapshots_dir / "killed-x.20261128T000000000000Z.parquet").write_bytes(b"PAR1")
    entries = store.read_manifest(real_data_copy)
    named = {f for e in entries for f in e.named_files()} | {"manifest.json", "notes.parquet"}
    present = {p.name for p in snapshots_dir.iterdir()}
    left = sorted(present - named)
    assert ".manifest.json.abcd1234.tmp" in left
    listed_contents = {f: (snapshots_dir / f).read_bytes() for f in named}

    use_data_dir(real_data_copy)
    assert cli.run(["snapshot", "list", "--verify"]) == 0  # leftovers are no damage: listed, not fatal
    assert f"{len(left)} file(s) under snapshots/ no manifest entry lists" in capsys.readouterr().err
    assert cli.run(["snapshot", "gc"]) == 0
    out = capsys.readouterr().out
    assert [line.removeprefix("would remove snapshots/") for line in out.splitlines()[:-1]] == left
    assert {p.name for p in snapshots_dir.iterdir()} == present  # a dry run removes nothing
    assert cli.run(["snapshot", "gc", "--delete"]) == 0
    assert {p.name for p in snapshots_dir.iterdir()} == named
    assert {f: (snapshots_dir / f).read_bytes() for f in named} == listed_contents
    assert cli.run(["snapshot", "list", "--verify"]) == 0
    assert "no manifest entry lists" not in capsys.readouterr().err


def test_replaced_versions_stay_named_until_collected(fixture_dir, tmp_path, use_data_dir, capsys):
    database = Database(fixture_dir)
    first = snapshots.add(database, write_facts(tmp_path / "a.parquet", OLD_FACTS), NEW, replace=True)
    second = snapshots.add(database, write_facts(tmp_path / "b.parquet", NEW_FACTS), NEW, replace=True)
    original = f"{NEW}.parquet"
    assert second.backups == [original, f"{NEW}.by-place.parquet", first.file, first.by_place_file]
    use_data_dir(fixture_dir)
    assert cli.run(["snapshot", "gc", "--delete"]) == 0  # backups are not leftovers
    assert "nothing to remove" in capsys.readouterr().out
    assert all((fixture_dir / "snapshots" / f).is_file() for f in second.backups)
    assert cli.run(["snapshot", "gc", "--backups", "--delete"]) == 0
    assert not any((fixture_dir / "snapshots" / f).exists() for f in second.backups)
    (entry,) = [e for e in store.read_manifest(fixture_dir) if e.id == NEW]
    assert entry.backups == [] and entry.file == second.file
    assert Database(fixture_dir).query("snapshot_summary", snapshot_ids=[NEW])["figures"].item() == len(NEW_FACTS)
