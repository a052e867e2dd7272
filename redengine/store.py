"""Files of the data directory: the manifest, atomic writes, checksums, the writers' lock.

The manifest is the commit point: a snapshot exists once the manifest lists it, and the
manifest is only ever replaced by an atomic rename, so a reader sees the old list or the
new one, never half of either.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DATA_DIR_ENV = "REDENGINE_DATA_DIR"
MANIFEST = Path("snapshots") / "manifest.json"
DIMENSION_FILES = {
    "districts": "districts.parquet",
    "concepts": "concepts.parquet",
    "metrics": "metrics.parquet",
    "sources": "sources.parquet",
}
# A data directory written before concepts existed has no concepts file: each metric is then
# a concept of its own (the database fills them in).
OPTIONAL_DIMENSION_FILES = frozenset({"concepts"})
# Every snapshot is stored twice, in two sort orders, so that both ways the pages read it touch
# one row group: one metric across places (Compare), and one place's or one report's figures
# (Profile, Sources). With one order only, the other read decodes every row group of the file.
FACT_SORT = [("metric_id", "ascending"), ("district_id", "ascending"), ("period_start", "ascending")]
PLACE_SORT = [("district_id", "ascending"), ("metric_id", "ascending"), ("period_start", "ascending")]
ROW_GROUP_SIZE = 122_880


class DataDirError(RuntimeError):
    """The data directory is missing, unreadable or inconsistent; says where and how to fix it."""


def default_data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class SnapshotEntry:
    """One snapshot as the manifest lists it."""

    id: str
    file: str
    sha256: str
    rows: int
    added: str
    # New places, metrics or sources the snapshot brought: kind -> file under snapshots/.
    extras: dict[str, str] = field(default_factory=dict)
    replaces: str | None = None
    # The same rows sorted by place (PLACE_SORT). Manifests written before it existed lack it;
    # then the file above serves both reads, only more slowly.
    by_place_file: str | None = None
    by_place_sha256: str | None = None

    def stored_files(self) -> dict[str, str]:
        """Each listed facts file with its sha256."""
        files = {self.file: self.sha256}
        if self.by_place_file:
            files[self.by_place_file] = self.by_place_sha256 or ""
        return files


def manifest_path(data_dir: Path) -> Path:
    return data_dir / MANIFEST


def read_manifest(data_dir: Path) -> list[SnapshotEntry]:
    path = manifest_path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(
            f"The data directory {data_dir} does not exist. Fix: point {DATA_DIR_ENV} at a "
            "directory made by 'make data', or unset it to use the bundled data/."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = [SnapshotEntry(**entry) for entry in raw["snapshots"]]
    except FileNotFoundError:
        raise DataDirError(
            f"{path} is missing, so no snapshot is listed. Fix: run 'make data' (bundled data) "
            "or 'redengine snapshot add FILE'."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataDirError(
            f"{path} cannot be read ({error}). Fix: restore it from git or a backup; "
            "the snapshot files beside it are untouched."
        ) from None
    return entries


def manifest_text(entries: list[SnapshotEntry]) -> str:
    return json.dumps({"snapshots": [asdict(e) for e in entries]}, ensure_ascii=False, indent=2) + "\n"


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Writes to a temporary file beside the target, flushes it to disk, then renames."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_manifest(data_dir: Path, entries: list[SnapshotEntry]) -> None:
    atomic_write_bytes(manifest_path(data_dir), manifest_text(entries).encode("utf-8"))


# Text that is nearly unique per row (quotes, values as written) is cheaper to read plain:
# a dictionary page as large as the data must be decoded before any row of it is read.
PLAIN_TEXT_COLUMNS = frozenset({"quote", "value_as_written"})


def parquet_bytes(table: pa.Table) -> bytes:
    """Parquet with page checksums and row-group statistics, deterministic for a given table."""
    dictionary = [c for c in table.column_names if c not in PLAIN_TEXT_COLUMNS]
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        use_dictionary=dictionary,
        compression="zstd",
        write_page_checksum=True,
        write_statistics=True,
        row_group_size=ROW_GROUP_SIZE,
    )
    return sink.getvalue().to_pybytes()


def write_parquet(path: Path, table: pa.Table) -> str:
    """Writes atomically and returns the file's sha256."""
    payload = parquet_bytes(table)
    atomic_write_bytes(path, payload)
    return hashlib.sha256(payload).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def damaged_files(data_dir: Path, entries: list[SnapshotEntry]) -> list[str]:
    """Listed snapshot files that are missing or whose bytes no longer match the manifest's sha256."""
    damaged = []
    for entry in entries:
        for file, sha256 in entry.stored_files().items():
            path = data_dir / MANIFEST.parent / file
            if not path.is_file():
                damaged.append(f"{path}: missing")
            elif sha256_file(path) != sha256:
                damaged.append(f"{path}: sha256 differs from the manifest's (the file changed or is damaged)")
    return damaged


def by_place_name(file: str) -> str:
    return file.removesuffix(".parquet") + ".by-place.parquet"


def write_snapshot_files(snapshots_dir: Path, file: str, facts: pa.Table) -> dict[str, str | int]:
    """Writes a snapshot's facts sorted by metric as `file`, and sorted by place beside it.

    Returns the manifest fields that name both files; each file is written atomically, and
    neither is listed until the caller writes the manifest.
    """
    by_place_file = by_place_name(file)
    return {
        "file": file,
        "sha256": write_parquet(snapshots_dir / file, facts.sort_by(FACT_SORT)),
        "by_place_file": by_place_file,
        "by_place_sha256": write_parquet(snapshots_dir / by_place_file, facts.sort_by(PLACE_SORT)),
        "rows": len(facts),
    }


@contextlib.contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    """Serialises writers (two 'snapshot add' at once); readers never wait for it.

    The lock is taken on the snapshots/ directory itself, so taking it creates no file
    (and no directory: a data directory without snapshots/ is refused).
    """
    directory = data_dir / MANIFEST.parent
    if not directory.is_dir():
        read_manifest(data_dir)  # raises the explanatory error; a failed command creates nothing
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock
