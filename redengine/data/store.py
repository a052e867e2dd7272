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
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from redengine.data import schema
from redengine.data.schema import SAFE_SNAPSHOT_ID

DATA_DIR_ENV = "REDENGINE_DATA_DIR"
# s3://BUCKET/PREFIX: the data lives in object storage; this process reads a local copy (data/objectstore.py).
DATA_URL_ENV = "REDENGINE_DATA_URL"
# Copies this machine keeps for the server: bucket objects (objectstore), brotli bundles (static_assets).
CACHE_DIR_ENV = "REDENGINE_CACHE_DIR"
MANIFEST = Path("snapshots") / "manifest.json"
DIMENSION_FILES = {kind: f"{kind}.parquet" for kind in schema.DIMENSIONS}
# A data directory written before concepts existed has no concepts file: each metric is then
# a concept of its own (the database fills them in).
OPTIONAL_DIMENSION_FILES = frozenset({"concepts"})
# Every snapshot is stored twice, in two sort orders, so that both ways the pages read it touch
# one row group: one metric across places (Compare), and one place's or one report's figures
# (Profile, Sources). With one order only, the other read decodes every row group of the file.
FACT_SORT = [("metric_id", "ascending"), ("district_id", "ascending"), ("period_start", "ascending")]
PLACE_SORT = [("district_id", "ascending"), ("metric_id", "ascending"), ("period_start", "ascending")]
ROW_GROUP_SIZE = 122_880
# A file the manifest may name: a plain name inside snapshots/ (no folder, no '..').
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.parquet$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# What an interrupted 'snapshot add' can leave: its temporary files, and files named by its
# time stamp that no manifest lists (see store.orphans).
ADD_STAMP = r"\d{8}T\d{12}Z"
ADDED_FILE = re.compile(
    rf"^[A-Za-z0-9][A-Za-z0-9_-]{{0,79}}\.{ADD_STAMP}(\.by-place|\.districts|\.metrics|\.sources)?\.parquet$"
)
TEMPORARY_FILE = re.compile(r"^\..+\.tmp$")
DEFAULT_FILE_MODE = 0o644


class DataDirError(RuntimeError):
    """The data directory is missing, unreadable or inconsistent; says where and how to fix it."""


# Resolved once: resolving walks the path on disk, and every query asks for the data directory (py-spy: a seventh
# of the server's time under 100 sessions).
BUNDLED_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def local_data_dir() -> Path:
    """REDENGINE_DATA_DIR, else the bundled data/ (a bucket's copy is chosen by redengine/data/shared.py)."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    return BUNDLED_DATA_DIR


def cache_root() -> Path:
    """REDENGINE_CACHE_DIR, else ~/.cache/redengine."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "redengine"


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
    # Files of earlier versions that '--replace' kept; they stay named here until 'snapshot gc --backups'.
    backups: list[str] = field(default_factory=list)

    def stored_files(self) -> dict[str, str]:
        """Each listed facts file with its sha256."""
        files = {self.file: self.sha256}
        if self.by_place_file:
            files[self.by_place_file] = self.by_place_sha256 or ""
        return files

    def named_files(self) -> list[str]:
        """Every file under snapshots/ this entry names: facts, extras and backups."""
        return [*self.stored_files(), *self.extras.values(), *self.backups]


def manifest_path(data_dir: Path) -> Path:
    return data_dir / MANIFEST


def read_manifest(data_dir: Path) -> list[SnapshotEntry]:
    """The manifest's entries, checked as a whole before any file they name is read."""
    path = manifest_path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(
            f"The data directory '{data_dir.name}' does not exist. Fix: point {DATA_DIR_ENV} at a "
            "directory made by 'make data', or unset it to use the bundled data/."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataDirError(
            f"{MANIFEST} is missing, so no snapshot is listed. Fix: run 'make data' (bundled data) "
            "or 'redengine snapshot add FILE'."
        ) from None
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)[:200]
        raise DataDirError(
            f"{MANIFEST} cannot be read ({reason}). Fix: restore it from git or a backup; "
            "the snapshot files beside it are untouched."
        ) from None
    problems = manifest_problems(raw)
    if problems:
        shown = "; ".join(problems[:MANIFEST_PROBLEMS_SHOWN])
        more = (
            f" (and {len(problems) - MANIFEST_PROBLEMS_SHOWN} more)" if len(problems) > MANIFEST_PROBLEMS_SHOWN else ""
        )
        raise DataDirError(
            f"{MANIFEST} is not a valid manifest: {shown}{more}. Fix: restore it from git or a backup; "
            "the snapshot files beside it are untouched."
        )
    return [SnapshotEntry(**entry) for entry in raw["snapshots"]]


MANIFEST_PROBLEMS_SHOWN = 5
_FIELD_RULES: dict[str, tuple[bool, str]] = {
    # field: (required, what it must be)
    "id": (True, "a snapshot id (letters, digits, '-' and '_')"),
    "file": (True, "a .parquet file name inside snapshots/"),
    "sha256": (True, "64 lowercase hex digits"),
    "rows": (True, "a whole number ≥ 1"),
    "added": (True, "a date and time as text"),
    "extras": (False, "an object of kind → .parquet file name inside snapshots/"),
    "replaces": (False, "null or a .parquet file name inside snapshots/"),
    "by_place_file": (False, "null or a .parquet file name inside snapshots/"),
    "by_place_sha256": (False, "null or 64 lowercase hex digits"),
    "backups": (False, "a list of .parquet file names inside snapshots/"),
}


def _safe_file(value: object) -> bool:
    return isinstance(value, str) and bool(SAFE_FILE_NAME.fullmatch(value))


def _field_ok(name: str, value: object) -> bool:
    if name == "id":
        return isinstance(value, str) and bool(SAFE_SNAPSHOT_ID.fullmatch(value))
    if name in ("file",):
        return _safe_file(value)
    if name in ("replaces", "by_place_file"):
        return value is None or _safe_file(value)
    if name == "sha256":
        return isinstance(value, str) and bool(SHA256_HEX.fullmatch(value))
    if name == "by_place_sha256":
        return value is None or (isinstance(value, str) and bool(SHA256_HEX.fullmatch(value)))
    if name == "rows":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if name == "added":
        return isinstance(value, str)
    if name == "extras":
        return isinstance(value, dict) and all(k in DIMENSION_FILES and _safe_file(v) for k, v in value.items())
    if name == "backups":
        return isinstance(value, list) and all(_safe_file(v) for v in value)
    return False


def manifest_problems(raw: object) -> list[str]:
    """Everything wrong with a parsed manifest: shape, field types, file names outside snapshots/,
    a snapshot or a file listed twice (which would count its figures twice)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("snapshots"), list):
        return ['it must be an object with a list "snapshots"']
    problems = []
    seen_ids: set[str] = set()
    seen_files: set[str] = set()
    for number, entry in enumerate(raw["snapshots"], start=1):
        where = f"snapshot {number}"
        if not isinstance(entry, dict):
            problems.append(f"{where} is not an object")
            continue
        if isinstance(entry.get("id"), str):
            where += f" ({entry['id'][:80]!r})"
        for name in entry.keys() - _FIELD_RULES.keys():
            problems.append(f"{where}: unknown field {str(name)[:40]!r}")
        for name, (required, expected) in _FIELD_RULES.items():
            if name not in entry:
                if required:
                    problems.append(f"{where}: field {name!r} is missing")
            elif not _field_ok(name, entry[name]):
                problems.append(f"{where}: field {name!r} is {str(entry[name])[:60]!r}, not {expected}")
        if bool(entry.get("by_place_file")) != bool(entry.get("by_place_sha256")):
            problems.append(f"{where}: by_place_file and by_place_sha256 go together")
        if isinstance(entry.get("id"), str):
            if entry["id"] in seen_ids:
                problems.append(f"{where}: the id is listed twice")
            seen_ids.add(entry["id"])
        extras, backups = entry.get("extras"), entry.get("backups")
        files = [entry.get("file"), entry.get("by_place_file")]
        files += [*extras.values()] if isinstance(extras, dict) else []
        files += backups if isinstance(backups, list) else []
        for file in (f for f in files if isinstance(f, str)):
            if file in seen_files:
                problems.append(f"{where}: the file {file[:80]!r} is listed twice")
            seen_files.add(file)
    return problems


def manifest_text(entries: list[SnapshotEntry]) -> str:
    # Without backups the text is what it was before the field existed: a rebuilt manifest stays byte-identical.
    listed = [{k: v for k, v in asdict(e).items() if k != "backups" or v} for e in entries]
    return json.dumps({"snapshots": listed}, ensure_ascii=False, indent=2) + "\n"


def file_mode(path: Path) -> int:
    """The permissions a new file at `path` gets: those of the file it replaces, else of a file
    beside it, else rw-r--r--. Never mkstemp's 0600, which a server running as another user cannot read."""
    candidates = [path] if path.is_file() else []
    with contextlib.suppress(OSError), os.scandir(path.parent) as siblings:
        candidates += [Path(e.path) for e in siblings if e.is_file() and not TEMPORARY_FILE.match(e.name)][:1]
    for candidate in candidates:
        with contextlib.suppress(OSError):
            return candidate.stat().st_mode & 0o666
    return DEFAULT_FILE_MODE


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Writes to a temporary file beside the target, flushes it to disk, then renames."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = file_mode(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, mode)
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


def orphans(data_dir: Path, entries: list[SnapshotEntry]) -> list[str]:
    """Files under snapshots/ that an interrupted 'snapshot add' left: its temporary files, and
    files named as add names them that no manifest entry lists. Any other file is left alone."""
    named = {file for entry in entries for file in entry.named_files()}
    directory = data_dir / MANIFEST.parent
    return sorted(
        path.name
        for path in directory.iterdir()
        if path.is_file()
        and path.name not in named
        and (TEMPORARY_FILE.match(path.name) or ADDED_FILE.match(path.name))
    )


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
