"""Snapshots in S3-compatible object storage: replicas read them, analysts add to them from many machines.

Layout under REDENGINE_DATA_URL = s3://BUCKET/PREFIX:

    PREFIX/manifest.json      the manifest (the entries of snapshots/manifest.json) plus "objects": every file
                              of the data directory (dimension tables, sources/…, snapshots/…) → its sha256
    PREFIX/objects/SHA256     a file's bytes, named by their sha256: written once, never changed

The manifest is the commit point, as in a local directory: an add uploads its files first, then replaces the
manifest with a compare-and-swap (PutObject with If-Match on the ETag it read, If-None-Match: * for the first),
re-reading, re-validating and retrying when another add won the race (412). A crash at any point leaves the
manifest valid; objects it never listed are orphans, which `snapshot gc` removes once they are old enough that
no add in progress can still list them.

A replica (the dashboard) never writes to the bucket. It copies each listed object once into a local cache
(REDENGINE_CACHE_DIR/objects/SHA256, checked on download), links the files into a data directory of its own
under their relative paths, and writes that directory's manifest last: DuckDB reads local files exactly as
with a local data directory. A thread polls the manifest with a conditional GET (If-None-Match on its ETag).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from redengine.data import store

if TYPE_CHECKING:
    from redengine.data import snapshots
    from redengine.data.db import Database

CACHE_DIR_ENV = store.CACHE_DIR_ENV
MANIFEST_KEY = "manifest.json"
OBJECTS_PREFIX = "objects/"
# A replica sees a new snapshot within this long (plus one query); a poll is one conditional GET, usually a 304.
POLL_SECONDS = 2.0
# An add retries the compare-and-swap this often when other adds keep winning; each try re-reads and re-validates.
ADD_ATTEMPTS = 30
# 'snapshot gc' removes an unlisted object only after this long: an add in progress uploads its objects
# before it lists them, and must not lose them to a gc running meanwhile.
GC_MIN_AGE_S = 3600
# A path the manifest's objects may name: a table at the top, a report text under sources/, a file under snapshots/.
SAFE_OBJECT_PATH = re.compile(
    r"^(?:[a-z]+\.parquet|sources/[A-Za-z0-9][A-Za-z0-9_.-]{0,200}|snapshots/[A-Za-z0-9][A-Za-z0-9_.-]{0,200})$"
)
PRECONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
log = logging.getLogger(__name__)


class ObjectStoreError(store.DataDirError):
    """The bucket cannot be read or written, or what it holds is not what its manifest says."""


@dataclass(frozen=True)
class RemoteManifest:
    """The bucket's manifest as read: its entries, every file's sha256 and the ETag to compare-and-swap on."""

    entries: list[store.SnapshotEntry] = field(default_factory=list)
    objects: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # None: the bucket has no manifest yet

    def text(self) -> str:
        listed = json.loads(store.manifest_text(self.entries))
        return json.dumps({**listed, "objects": dict(sorted(self.objects.items()))}, ensure_ascii=False, indent=2)

    def served_files(self) -> dict[str, str]:
        """What a replica needs: every file but the backups that '--replace' kept."""
        backups = {f"snapshots/{file}" for entry in self.entries for file in entry.backups}
        return {path: sha for path, sha in self.objects.items() if path not in backups}


def manifest_problems(raw: object) -> list[str]:
    """Everything wrong with the bucket's manifest: the local manifest's checks, then its objects: safe paths,
    sha256s, every file an entry names listed, with the sha256 the entry gives."""
    problems = store.manifest_problems(raw)
    if problems:
        return problems
    objects = raw.get("objects")
    if not isinstance(objects, dict):
        return ['it must have an object "objects" of path → sha256']
    for path, sha in objects.items():
        if not SAFE_OBJECT_PATH.fullmatch(str(path)) or ".." in str(path):
            problems.append(f"objects: {str(path)[:80]!r} is not a data directory path")
        if not isinstance(sha, str) or not store.SHA256_HEX.fullmatch(sha):
            problems.append(f"objects: {str(path)[:80]!r} has {str(sha)[:70]!r}, not 64 lowercase hex digits")
    for kind, file in store.DIMENSION_FILES.items():
        if kind not in store.OPTIONAL_DIMENSION_FILES and file not in objects:
            problems.append(f"objects: the table {file} is not listed")
    for entry in map(lambda e: store.SnapshotEntry(**e), raw["snapshots"]):
        stored = entry.stored_files()
        for file in entry.named_files():
            listed = objects.get(f"snapshots/{file}")
            if listed is None:
                problems.append(f"snapshot {entry.id!r}: snapshots/{file} is not in objects")
            elif stored.get(file) and listed != stored[file]:
                problems.append(f"snapshot {entry.id!r}: snapshots/{file} has another sha256 in objects")
    return problems


class Bucket:
    """One s3://bucket/prefix, through boto3 (AWS_ENDPOINT_URL and the usual credential variables apply)."""

    def __init__(self, url: str):
        match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?", url)
        if not match:
            raise ObjectStoreError(
                f"{store.DATA_URL_ENV}={url[:200]!r} is not an S3 URL. Fix: write s3://BUCKET or s3://BUCKET/PREFIX"
            )
        self.url = url.rstrip("/")
        self.name = match.group(1)
        prefix = (match.group(2) or "").strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        # Short timeouts and few retries: a poll that hangs delays nobody's page, but a replica should notice.
        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
        self.client = boto3.client("s3", config=config)

    def key(self, relative: str) -> str:
        return f"{self.prefix}{relative}"

    def object_key(self, sha: str) -> str:
        return self.key(f"{OBJECTS_PREFIX}{sha}")

    @contextlib.contextmanager
    def _talking(self, what: str) -> Iterator[None]:
        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "?")
            raise ObjectStoreError(
                f"{self.url}: {what} failed ({code}: {error.response.get('Error', {}).get('Message', '')[:200]}). "
                "Fix: check the bucket name, AWS_ENDPOINT_URL and the credentials (replicas need s3:GetObject, "
                "analysts also s3:PutObject, s3:ListBucket and, for gc, s3:DeleteObject)"
            ) from None
        except BotoCoreError as error:
            raise ObjectStoreError(
                f"{self.url}: {what} failed ({error}). Fix: check AWS_ENDPOINT_URL and the network"
            ) from None

    def read_manifest(self, unless_etag: str | None = None) -> RemoteManifest | None:
        """The manifest, or None when its ETag is still `unless_etag` (a conditional GET: 304, no body)."""
        conditional = {"IfNoneMatch": unless_etag} if unless_etag else {}
        with self._talking(f"reading {MANIFEST_KEY}"):
            try:
                response = self.client.get_object(Bucket=self.name, Key=self.key(MANIFEST_KEY), **conditional)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code in ("304", "NotModified"):
                    return None
                if code in ("NoSuchKey", "404"):
                    return RemoteManifest()
                raise
            body = response["Body"].read()
        try:
            raw = json.loads(body.decode("utf-8"))
        except ValueError as error:
            raise ObjectStoreError(
                f"{self.url}/{MANIFEST_KEY} is not JSON ({str(error)[:200]}). Fix: restore an earlier version"
            ) from None
        problems = manifest_problems(raw)
        if problems:
            raise ObjectStoreError(
                f"{self.url}/{MANIFEST_KEY} is not a valid manifest: {'; '.join(problems[:5])}. "
                "Fix: restore an earlier version of it (the objects it lists are untouched)"
            )
        entries = [store.SnapshotEntry(**entry) for entry in raw["snapshots"]]
        return RemoteManifest(entries, dict(raw["objects"]), response["ETag"])

    def replace_manifest(self, manifest: RemoteManifest, previous_etag: str | None) -> bool:
        """Writes the manifest if it is still the one read (ETag previous_etag; None: there was none).
        False when another writer replaced it first."""
        condition = {"IfMatch": previous_etag} if previous_etag else {"IfNoneMatch": "*"}
        with self._talking(f"writing {MANIFEST_KEY}"):
            try:
                self.client.put_object(
                    Bucket=self.name,
                    Key=self.key(MANIFEST_KEY),
                    Body=manifest.text().encode("utf-8"),
                    ContentType="application/json",
                    **condition,
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in PRECONDITION_FAILED:
                    return False
                raise
        return True

    def upload(self, path: Path) -> str:
        """Uploads a file under its sha256 (once: an object of that name already holds these bytes)."""
        payload = path.read_bytes()
        sha = hashlib.sha256(payload).hexdigest()
        with self._talking(f"uploading {path.name}"):
            try:
                self.client.put_object(Bucket=self.name, Key=self.object_key(sha), Body=payload, IfNoneMatch="*")
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in PRECONDITION_FAILED:
                    raise
        return sha

    def download(self, sha: str, relative: str, target: Path) -> None:
        """Copies the object to target (through a temporary file beside it), checking its sha256."""
        digest = hashlib.sha256()
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{sha[:16]}.", suffix=".tmp")
        try:
            with self._talking(f"reading {relative} ({OBJECTS_PREFIX}{sha})"), os.fdopen(handle, "wb") as out:
                body = self.client.get_object(Bucket=self.name, Key=self.object_key(sha))["Body"]
                for block in body.iter_chunks(1 << 20):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != sha:
                raise ObjectStoreError(
                    f"{self.url}/{OBJECTS_PREFIX}{sha} ({relative}) holds bytes whose sha256 is "
                    f"{digest.hexdigest()}, not the name's. Fix: upload the file again with 'redengine snapshot "
                    "add', or restore the object from a backup; it was not used"
                )
            os.chmod(temporary, 0o444)  # shared by every replica's data directory: nobody edits it in place
            # Linked, never renamed over an object another thread or process placed first (same bytes): link(2)
            # of a name whose file a rename just replaced fails with ENOENT, so a mirror linking it would fail.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def stored_objects(self) -> dict[str, datetime]:
        """Every object under objects/: sha256 → when it was written."""
        found: dict[str, datetime] = {}
        with self._talking("listing objects"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.name, Prefix=self.key(OBJECTS_PREFIX)
            )
            for page in pages:
                for item in page.get("Contents", []):
                    found[item["Key"].rsplit("/", 1)[-1]] = item["LastModified"]
        return found

    def delete(self, shas: list[str]) -> None:
        with self._talking("deleting objects"):
            for start in range(0, len(shas), 1000):
                keys = [{"Key": self.object_key(sha)} for sha in shas[start : start + 1000]]
                self.client.delete_objects(Bucket=self.name, Delete={"Objects": keys, "Quiet": True})


class Mirror:
    """A local data directory that follows the bucket's manifest: its files are hard links into the cache
    of objects (each downloaded once, shared by every process using the same cache), and its manifest is
    written last, so the Database reading it sees the old snapshot list or the new one."""

    def __init__(self, bucket: Bucket, cache: Path | None = None):
        self.bucket = bucket
        cache = cache or store.cache_root()
        self.objects = cache / "objects"
        self.objects.mkdir(parents=True, exist_ok=True)
        mirrors = cache / "mirrors"
        mirrors.mkdir(exist_ok=True)
        _remove_abandoned(mirrors)
        # One directory per process: two replicas sharing a cache never write each other's manifest.
        self.directory = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=mirrors))
        (self.directory / "snapshots").mkdir()
        self.manifest = RemoteManifest()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        atexit.register(self.close)

    def sync(self) -> bool:
        """Brings the directory to the bucket's current manifest; False when it had not changed."""
        with self._lock:
            remote = self.bucket.read_manifest(self.manifest.etag)
            if remote is None:
                return False
            if remote.etag is None:
                raise ObjectStoreError(
                    f"{self.bucket.url} has no {MANIFEST_KEY}, so no snapshot is listed. Fix: copy a data "
                    "directory there with 'redengine snapshot publish DIR', or add one with 'redengine snapshot add'"
                )
            for relative, sha in remote.served_files().items():
                self._place(relative, sha)
            store.write_manifest(self.directory, remote.entries)
            self.manifest = remote
            return True

    def _place(self, relative: str, sha: str) -> None:
        cached = self.objects / sha
        if not cached.is_file():
            self.bucket.download(sha, relative, cached)
        target = self.directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(target).st_ino == os.stat(cached).st_ino:
                return
        # A table replaced in the bucket (same path, new bytes) is swapped in by a rename: readers see one or the other.
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.link(cached, temporary)
        os.replace(temporary, target)

    def poll_forever(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                if self.sync():
                    log.info("%s: new manifest %s", self.bucket.url, self.manifest.etag)
            except (store.DataDirError, OSError) as error:
                # The last good copy keeps being served; the next poll tries again.
                log.warning("%s: %s", self.bucket.url, error)

    def close(self) -> None:
        self._stop.set()
        shutil.rmtree(self.directory, ignore_errors=True)


def _remove_abandoned(mirrors: Path) -> None:
    """Removes the directories of processes that ended without cleaning up (killed)."""
    for directory in mirrors.iterdir():
        pid = directory.name.split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except PermissionError:
            pass  # another user's live process


_replicas: dict[str, Mirror] = {}
_replicas_lock = threading.Lock()


def replica_data_dir(url: str) -> Path:
    """This process's data directory following the bucket at `url`: synced once now, then polled."""
    with _replicas_lock:
        mirror = _replicas.get(url)
        if mirror is None:
            mirror = Mirror(Bucket(url))
            mirror.sync()
            threading.Thread(target=mirror.poll_forever, name="redengine-manifest-poll", daemon=True).start()
            _replicas[url] = mirror
        return mirror.directory


# -- what analysts run: publish, add, verify, gc ---------------------------------------------------


def data_files(data_dir: Path, entries: list[store.SnapshotEntry]) -> list[str]:
    """Every file of a local data directory a bucket holds: tables, report texts, each entry's files."""
    tables = [file for file in store.DIMENSION_FILES.values() if (data_dir / file).is_file()]
    texts = sorted(f"sources/{p.name}" for p in (data_dir / "sources").glob("*") if p.is_file())
    listed = [f"snapshots/{file}" for entry in entries for file in entry.named_files()]
    return [*tables, *texts, *listed]


def publish(bucket: Bucket, data_dir: Path) -> RemoteManifest:
    """Copies a local data directory into an empty bucket prefix (refused when it has a manifest)."""
    entries = store.read_manifest(data_dir)
    objects = {relative: bucket.upload(data_dir / relative) for relative in data_files(data_dir, entries)}
    manifest = RemoteManifest(entries, objects)
    if not bucket.replace_manifest(manifest, None):
        raise ObjectStoreError(
            f"{bucket.url} has a manifest already; nothing was replaced. Fix: add snapshots with "
            "'redengine snapshot add', or publish to an empty prefix"
        )
    return manifest


def add(
    bucket: Bucket,
    file: Path,
    snapshot_id: str | None = None,
    replace: bool = False,
    supplied: dict[str, Path] | None = None,
    before_swap: Callable[[], None] | None = None,
    plan: snapshots.Plan | None = None,
) -> store.SnapshotEntry:
    """`snapshot add` against a bucket: validate against its manifest, upload, compare-and-swap; on a lost race,
    again from the new manifest. `before_swap` runs between the uploads and the swap (tests crash there)."""
    from redengine.data import snapshots
    from redengine.data.db import Database

    snapshot_id = snapshots.checked_id(snapshot_id or file.stem)
    with tempfile.TemporaryDirectory(prefix="redengine-add-") as work:
        mirror = Mirror(bucket)
        database = Database(mirror.directory)
        try:
            for attempt in range(ADD_ATTEMPTS):
                mirror.sync()
                current = mirror.manifest
                result, existing = snapshots.checked_for_add(
                    database, file, snapshot_id, replace, supplied, current.entries, plan
                )
                staging = Path(tempfile.mkdtemp(dir=work))
                new_files: list[str] = []
                entry = snapshots.write_snapshot(staging, snapshot_id, result, existing, new_files)
                uploaded = {f"snapshots/{name}": bucket.upload(staging / name) for name in new_files}
                # A new report's text, listed with the snapshot whose source names it, as a local add writes it.
                texts = {
                    relative: bucket.upload(given)
                    for relative, given in result.texts.items()
                    if relative not in current.objects
                }
                if before_swap:
                    before_swap()
                listed = snapshots.listed_with(current.entries, entry)
                swapped = RemoteManifest(listed, {**current.objects, **texts, **uploaded})
                if bucket.replace_manifest(swapped, current.etag):
                    return entry
                # Another add won: wait a little (more each time, at random, so racers spread out), then redo.
                time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
        finally:
            mirror.close()
    raise snapshots.SnapshotError(
        f"{bucket.url}: other adds replaced the manifest {ADD_ATTEMPTS} times while this one tried; nothing was "
        "listed. Fix: run the command again (its uploaded files are reused)"
    )


def orphans(bucket: Bucket, manifest: RemoteManifest, min_age_s: float = GC_MIN_AGE_S) -> list[str]:
    """Objects no manifest entry lists (left by interrupted or failed adds), written at least min_age_s ago."""
    listed = set(manifest.objects.values())
    now = datetime.now(UTC)
    return sorted(
        sha
        for sha, written in bucket.stored_objects().items()
        if sha not in listed and (now - written).total_seconds() >= min_age_s
    )


def verify(bucket: Bucket, database: Database) -> tuple[list[str], list[str]]:
    """(problems with listed files, orphan objects of any age). The replica's copies were checked against
    their sha256 on download; here they are checked again as a local directory's files are, and every
    listed object must still be in the bucket."""
    from redengine.data import integrity

    remote = bucket.read_manifest()
    damaged = integrity.damaged(database.data_dir, store.read_manifest(database.data_dir))
    missing = sorted(set(remote.objects.values()) - set(bucket.stored_objects()))
    damaged += [f"{bucket.url}/{OBJECTS_PREFIX}{sha} is listed but not in the bucket" for sha in missing]
    return damaged, orphans(bucket, remote, 0)


def collect_garbage(bucket: Bucket, backups: bool, delete: bool, min_age_s: float = GC_MIN_AGE_S) -> list[str]:
    """Orphan objects written at least min_age_s ago (and, with backups, the files '--replace' kept, which
    --delete first unlists with a compare-and-swap); removes the objects only when delete is true."""
    current = bucket.read_manifest()
    if current.etag is None:
        raise ObjectStoreError(
            f"{bucket.url} has no {MANIFEST_KEY}: every object would look unlisted, so nothing was removed. "
            "Fix: restore the manifest first"
        )
    kept = [f"snapshots/{file}" for entry in current.entries for file in entry.backups]
    while backups and kept and delete:
        unlisted = RemoteManifest(
            [dataclasses.replace(entry, backups=[]) for entry in current.entries],
            {path: sha for path, sha in current.objects.items() if path not in kept},
        )
        if bucket.replace_manifest(unlisted, current.etag):
            current = unlisted
            break
        current = bucket.read_manifest()
        kept = [f"snapshots/{file}" for entry in current.entries for file in entry.backups]
    garbage = orphans(bucket, current, min_age_s)
    if delete:
        bucket.delete(garbage)
    return [*(kept if backups else []), *(f"{OBJECTS_PREFIX}{sha}" for sha in garbage)]
