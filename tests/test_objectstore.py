"""Snapshots in S3-compatible storage, against moto's S3 server on 127.0.0.1: the replicas' cache and its
sha256 check, polling, conditional writes, adds racing from threads and processes, crash points, the CLI."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import BIN, NEW, OLD, OLD_FACTS, fact, metric_rows, write_facts
from moto_s3 import environment, new_bucket, s3_server
from test_snapshots import DELTA, HOUSING, SRC_D, SRC_D_TEXT, _delta_housing, _dimension_file, _src_d_text

from redengine.data import objectstore, store
from redengine.data.db import Database
from redengine.ops import cli


@pytest.fixture(scope="module")
def endpoint():
    with s3_server() as url:
        yield url


@pytest.fixture
def bucket_url(endpoint, monkeypatch, tmp_path):
    for name, value in environment(endpoint).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(objectstore.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(store.DATA_DIR_ENV, raising=False)
    yield new_bucket(endpoint)
    # The CLI's reads start this process's replica copy of the bucket: stop its polling with the test.
    for url in [url for url in objectstore._replicas if url.startswith("s3://")]:
        objectstore._replicas.pop(url).close()


@pytest.fixture
def bucket(bucket_url, fixture_dir) -> objectstore.Bucket:
    """A bucket holding the fixture data directory, as 'snapshot publish' writes it."""
    published = objectstore.Bucket(bucket_url)
    objectstore.publish(published, fixture_dir)
    return published


def _revision(tmp_path: Path, name: str, members: float) -> Path:
    rows = [dict(r) for r in OLD_FACTS]
    rows[1] = fact("alpha", "members", members, f"{members:g}名")
    return write_facts(tmp_path / name, rows)


def _refuse_writes(bucket: objectstore.Bucket) -> list[str]:
    """Makes every write call of this bucket's client fail (as a read-only credential would); returns them."""
    attempted: list[str] = []

    def refuse(event_name: str, **_: object) -> None:
        attempted.append(event_name)
        raise AssertionError(f"a replica tried to write: {event_name}")

    for operation in ("PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CreateMultipartUpload"):
        bucket.client.meta.events.register(f"before-call.s3.{operation}", refuse)
    return attempted


def _listed_ids(bucket: objectstore.Bucket) -> list[str]:
    return [entry.id for entry in bucket.read_manifest().entries]


def test_a_replica_reads_through_a_cache_named_by_sha256_and_never_writes(bucket, fixture_dir, tmp_path):
    replica_bucket = objectstore.Bucket(bucket.url)
    attempted = _refuse_writes(replica_bucket)
    mirror = objectstore.Mirror(replica_bucket, tmp_path / "replica-cache")
    try:
        assert mirror.sync() is True
        database = Database(mirror.directory)
        assert [e.id for e in database.snapshots()] == [OLD, NEW]
        local = Database(fixture_dir)
        assert metric_rows(database, NEW, "members", ["alpha", "beta"]).equals(
            metric_rows(local, NEW, "members", ["alpha", "beta"])
        )
        assert database.source_text("sources/src_a.txt") == local.source_text("sources/src_a.txt")
        cached = {p.name: p for p in (tmp_path / "replica-cache" / "objects").iterdir()}
        assert set(cached) == set(mirror.manifest.objects.values())
        assert all(hashlib.sha256(p.read_bytes()).hexdigest() == name for name, p in cached.items())
        stamps = {name: p.stat().st_mtime_ns for name, p in cached.items()}
        assert mirror.sync() is False  # the ETag is unchanged: a 304, nothing downloaded again
        assert {name: p.stat().st_mtime_ns for name, p in cached.items()} == stamps
    finally:
        mirror.close()
    assert not mirror.directory.exists()
    assert attempted == []


def test_an_object_whose_bytes_do_not_match_its_sha256_is_an_error_naming_it(bucket, tmp_path):
    sha = bucket.read_manifest().objects[f"snapshots/{NEW}.parquet"]
    bucket.client.put_object(Bucket=bucket.name, Key=bucket.object_key(sha), Body=b"not the snapshot")
    mirror = objectstore.Mirror(bucket, tmp_path / "replica-cache")
    try:
        with pytest.raises(objectstore.ObjectStoreError) as raised:
            mirror.sync()
    finally:
        mirror.close()
    message = str(raised.value)
    assert f"{bucket.url}/objects/{sha} (snapshots/{NEW}.parquet)" in message and "Fix:" in message
    assert not (tmp_path / "replica-cache" / "objects" / sha).exists()  # the bad bytes are not kept


def test_an_object_downloaded_twice_keeps_the_file_mirrors_link_to(bucket, tmp_path):
    # Two threads or processes can download one object at once. Renaming the second copy over the first would
    # drop the first file's last name while a mirror hard-links it, and link(2) then fails with ENOENT.
    sha = bucket.read_manifest().objects[f"snapshots/{NEW}.parquet"]
    target = tmp_path / "objects" / sha
    target.parent.mkdir()
    bucket.download(sha, f"snapshots/{NEW}.parquet", target)
    first = target.stat()
    bucket.download(sha, f"snapshots/{NEW}.parquet", target)
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
    assert [p.name for p in target.parent.iterdir()] == [sha]  # no temporary file left beside it


def test_a_polling_replica_shows_a_snapshot_added_elsewhere_within_5_s(bucket, tmp_path):
    mirror = objectstore.Mirror(objectstore.Bucket(bucket.url), tmp_path / "replica-cache")
    mirror.sync()
    poller = threading.Thread(target=mirror.poll_forever, daemon=True)
    poller.start()
    try:
        database = Database(mirror.directory)  # as the running dashboard holds it
        assert [e.id for e in database.snapshots()] == [OLD, NEW]
        objectstore.add(bucket, _revision(tmp_path, "rev.parquet", 1100), "2026-03-01-rev")
        added = time.monotonic()
        while [e.id for e in database.snapshots()] != [OLD, NEW, "2026-03-01-rev"]:
            assert time.monotonic() - added < 5, "the replica did not pick the snapshot up within 5 s"
            time.sleep(0.1)
        figures = metric_rows(database, "2026-03-01-rev", "members", ["alpha"])
        assert figures["value"].tolist() == [900.0, 1100.0]  # 2019, and 2020 as revised
    finally:
        mirror.close()
        poller.join(timeout=5)


def test_the_manifest_is_replaced_only_if_it_is_still_the_one_read(bucket, fixture_dir):
    read = bucket.read_manifest()
    assert bucket.replace_manifest(read, '"0123456789abcdef0123456789abcdef"') is False
    # An ETag is the content's MD5: only a manifest with other content makes the one read stale.
    only_old = dataclasses.replace(read, entries=read.entries[:1])
    assert bucket.replace_manifest(only_old, read.etag) is True
    assert bucket.replace_manifest(read, read.etag) is False
    assert _listed_ids(bucket) == [OLD]
    with pytest.raises(objectstore.ObjectStoreError, match="has a manifest already"):
        objectstore.publish(bucket, fixture_dir)  # If-None-Match: * refuses a second first manifest


def test_adds_racing_from_threads_are_all_listed(bucket, tmp_path):
    ids = [f"thread-{n}" for n in range(4)]
    errors: list[BaseException] = []

    def add(number: int) -> None:
        try:
            objectstore.add(bucket, _revision(tmp_path, f"t{number}.parquet", 1000 + number), ids[number])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(len(ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(_listed_ids(bucket)) == sorted([OLD, NEW, *ids])
    listed = bucket.read_manifest()
    assert set(listed.objects.values()) <= set(bucket.stored_objects())


def test_eight_adds_from_separate_processes_are_all_listed(bucket, tmp_path, endpoint):
    env = {**os.environ, **environment(endpoint), store.DATA_URL_ENV: bucket.url}
    ids = [f"process-{n}" for n in range(8)]
    files = [_revision(tmp_path, f"p{n}.parquet", 2000 + n) for n in range(8)]
    adds = [
        subprocess.Popen(
            [str(BIN / "redengine"), "snapshot", "add", str(file), "--id", snapshot_id],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for file, snapshot_id in zip(files, ids, strict=True)
    ]
    outcomes = [(add.wait(timeout=120), *add.communicate()) for add in adds]
    assert [code for code, _, _ in outcomes] == [0] * 8, outcomes
    assert sorted(_listed_ids(bucket)) == sorted([OLD, NEW, *ids])


class Crash(BaseException):
    """Stands for the process dying at that point: nothing after it runs, no cleanup is attempted."""


@pytest.mark.parametrize("point", ["first upload", "second upload", "before the swap"])
def test_a_crash_at_any_point_leaves_the_manifest_valid_and_gc_collects_what_it_left(bucket, tmp_path, point):
    before = bucket.read_manifest()
    uploads = []
    upload = bucket.upload

    def crashing_upload(path: Path) -> str:
        if point == {0: "first upload", 1: "second upload"}.get(len(uploads)):
            raise Crash
        uploads.append(upload(path))
        return uploads[-1]

    def crash() -> None:
        raise Crash

    bucket.upload = crashing_upload
    with pytest.raises(Crash):
        objectstore.add(
            bucket,
            _revision(tmp_path, "r.parquet", 1100),
            "rev",
            before_swap=crash if point == "before the swap" else None,
        )
    bucket.upload = upload
    after = bucket.read_manifest()  # parses and passes every check
    assert after.etag == before.etag and _listed_ids(bucket) == [OLD, NEW]
    assert objectstore.orphans(bucket, after, 0) == sorted(uploads)
    assert objectstore.collect_garbage(bucket, backups=False, delete=True) == []  # too young: an add may be running
    removed = objectstore.collect_garbage(bucket, backups=False, delete=True, min_age_s=0)
    assert removed == [f"objects/{sha}" for sha in sorted(uploads)]
    assert set(bucket.stored_objects()) == set(after.objects.values())
    objectstore.add(bucket, _revision(tmp_path, "r.parquet", 1100), "rev")  # the next add goes through
    assert _listed_ids(bucket) == [OLD, NEW, "rev"]


def test_an_add_killed_after_its_first_upload_leaves_the_manifest_valid(bucket, tmp_path, endpoint):
    before = bucket.read_manifest()
    stored = set(bucket.stored_objects())
    env = {**os.environ, **environment(endpoint), store.DATA_URL_ENV: bucket.url}
    file = _revision(tmp_path, "k.parquet", 1300)
    add = subprocess.Popen([str(BIN / "redengine"), "snapshot", "add", str(file), "--id", "killed"], env=env)
    try:
        deadline = time.monotonic() + 60
        while set(bucket.stored_objects()) == stored and add.poll() is None:
            assert time.monotonic() < deadline, "the add uploaded nothing within 60 s"
            time.sleep(0.02)
    finally:
        add.kill()  # SIGKILL: no cleanup runs
        add.wait()
    after = bucket.read_manifest()  # parses and passes every check
    left = objectstore.orphans(bucket, after, 0)
    if after.etag == before.etag:  # killed before the swap (almost always): nothing listed, its uploads orphans
        assert _listed_ids(bucket) == [OLD, NEW] and left
    else:  # it got to the swap first: listed whole
        assert _listed_ids(bucket) == [OLD, NEW, "killed"] and not left
    assert set(left) <= set(bucket.stored_objects()) - stored  # only what the killed add uploaded


def test_the_command_line_on_a_bucket(bucket_url, fixture_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(store.DATA_URL_ENV, bucket_url)
    assert cli.run(["snapshot", "publish", str(fixture_dir)]) == 0
    assert f"to {bucket_url}" in capsys.readouterr().out
    assert cli.run(["snapshot", "publish", str(fixture_dir)]) == cli.INVALID
    assert "has a manifest already" in capsys.readouterr().err

    assert cli.run(["snapshot", "add", str(_revision(tmp_path, "a.parquet", 1100)), "--id", "rev"]) == 0
    assert cli.run(["snapshot", "add", str(_revision(tmp_path, "b.parquet", 1200)), "--id", "rev"]) == cli.INVALID
    assert "exists already" in capsys.readouterr().err
    assert cli.run(["snapshot", "add", str(_revision(tmp_path, "b.parquet", 1200)), "--id", "rev", "--replace"]) == 0
    capsys.readouterr()
    assert cli.run(["snapshot", "list"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == [OLD, NEW, "rev"]

    bucket = objectstore.Bucket(bucket_url)
    stray = bucket.upload(write_facts(tmp_path / "stray.parquet", OLD_FACTS[:1]))
    assert cli.run(["snapshot", "list", "--verify"]) == 0
    assert f"objects/{stray}" in capsys.readouterr().err
    assert cli.run(["snapshot", "gc", "--delete"]) == 0
    assert capsys.readouterr().out == "nothing to remove\n"  # younger than an hour
    assert cli.run(["snapshot", "gc", "--backups", "--min-age", "0"]) == 0
    dry_run = capsys.readouterr().out
    replaced = bucket.read_manifest().entries[-1].backups
    assert len(replaced) == 2 and all(f"would remove snapshots/{file}" in dry_run for file in replaced)
    assert cli.run(["snapshot", "gc", "--backups", "--delete", "--min-age", "0"]) == 0
    assert f"removed objects/{stray}" in capsys.readouterr().out
    listed = bucket.read_manifest()
    assert listed.entries[-1].backups == [] and set(bucket.stored_objects()) == set(listed.objects.values())


def test_a_new_report_s_text_arrives_in_the_bucket_with_its_snapshot(
    bucket_url, fixture_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(store.DATA_URL_ENV, bucket_url)
    assert cli.run(["snapshot", "publish", str(fixture_dir)]) == 0
    facts = write_facts(tmp_path / "f.parquet", [*OLD_FACTS, _delta_housing()])
    supplied = [
        *("--districts", str(_dimension_file(tmp_path / "d.parquet", "districts", [DELTA]))),
        *("--metrics", str(_dimension_file(tmp_path / "m.parquet", "metrics", [HOUSING]))),
        *("--sources", str(_dimension_file(tmp_path / "s.parquet", "sources", [SRC_D]))),
    ]
    bucket = objectstore.Bucket(bucket_url)
    before = bucket.read_manifest()
    assert cli.run(["snapshot", "add", str(facts), "--id", "with-delta", *supplied]) == cli.INVALID
    assert "Fix: add --text PATH/src_d.txt" in capsys.readouterr().err
    assert bucket.read_manifest().objects == before.objects  # refused without its text: nothing listed
    text = ["--text", str(_src_d_text(tmp_path))]
    assert cli.run(["snapshot", "add", str(facts), "--id", "with-delta", *supplied, *text]) == 0
    listed = bucket.read_manifest()
    assert listed.objects["sources/src_d.txt"] == hashlib.sha256(SRC_D_TEXT.encode()).hexdigest()
    mirror = objectstore.Mirror(objectstore.Bucket(bucket_url), tmp_path / "replica-cache")
    try:
        mirror.sync()
        assert Database(mirror.directory).source_text("sources/src_d.txt") == SRC_D_TEXT  # a replica shows it
    finally:
        mirror.close()
    assert cli.run(["snapshot", "list", "--verify"]) == 0


def test_a_data_url_that_is_not_s3_is_refused_with_the_fix(monkeypatch, capsys):
    monkeypatch.setenv(store.DATA_URL_ENV, "https://example.org/data")
    assert cli.run(["snapshot", "list"]) == cli.INVALID
    assert "is not an S3 URL. Fix: write s3://BUCKET" in capsys.readouterr().err
