"""Checked before served: a data file is verified before DuckDB reads it.

DuckDB does not verify Parquet page checksums, so a flipped bit can turn 16 into 4,000 without
a word. Here a snapshot file must match the manifest's sha256 and row count, and every file's
pages must match their checksums (pyarrow verifies them), once per process and again whenever
the file's size or modification time changes. A file that fails is refused with a message that
names it relative to the data directory; files that pass keep working.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from redengine.data import store

# (path, size, mtime_ns, sha256, rows) -> "" when the file passed, else why it failed.
_results: dict[tuple[str, int, int, str | None, int | None], str] = {}
_results_lock = threading.Lock()
MAX_REMEMBERED = 4096
RESTORE = "Fix: restore it from a backup or git ('redengine snapshot list --verify' lists every damaged file)."


def verify(data_dir: Path, relative: str, sha256: str | None = None, rows: int | None = None) -> None:
    """Raises store.DataDirError unless data_dir/relative is intact (and has this sha256 and row count)."""
    path = data_dir / relative
    try:
        status = path.stat()
    except FileNotFoundError:
        raise store.DataDirError(
            f"{relative} is missing. Fix: restore the file, or run 'make data' for the bundled tables."
        ) from None
    except OSError as error:
        raise store.DataDirError(f"{relative} cannot be read ({error.strerror}). {RESTORE}") from None
    key = (str(path), status.st_size, status.st_mtime_ns, sha256, rows)
    with _results_lock:
        failure = _results.get(key)
    if failure is None:
        failure = problem(path, relative, sha256, rows)
        with _results_lock:
            if len(_results) >= MAX_REMEMBERED:
                _results.pop(next(iter(_results)))
            _results[key] = failure
    if failure:
        raise store.DataDirError(failure)


def problem(path: Path, relative: str, sha256: str | None = None, rows: int | None = None) -> str:
    """Why the file cannot be served, or "" when it can."""
    try:
        if sha256 is not None and store.sha256_file(path) != sha256:
            return (
                f"{relative} does not match the manifest's sha256 (the file changed or is damaged), "
                f"so it is not read. {RESTORE}"
            )
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
        if rows is not None and parquet.metadata.num_rows != rows:
            return (
                f"{relative} holds {parquet.metadata.num_rows} rows where the manifest lists {rows}, "
                f"so it is not read. {RESTORE}"
            )
        # One row group at a time: every page is decoded, and so checked, without holding the file.
        for index in range(parquet.num_row_groups):
            parquet.read_row_group(index)
    except (pa.ArrowException, OSError, ValueError) as error:
        return f"{relative} is damaged ({describe(error, path.parent)}), so it is not read. {RESTORE}"
    return ""


def describe(error: BaseException, *folders: Path) -> str:
    """A library's error message, short, without the server's absolute paths."""
    text = str(error)
    for folder in folders:
        text = text.replace(f"{folder}/", "").replace(str(folder), ".")
    return text.splitlines()[0][:200] if text else type(error).__name__


def read_error(error: BaseException, data_dir: Path, files: Sequence[str] = ()) -> store.DataDirError:
    """A DuckDB or Arrow error met while reading data, as the one clear error the app and the CLI show."""
    which = f"{', '.join(files)} could not be read" if files else "A data file could not be read"
    return store.DataDirError(
        f"{which} ({describe(error, data_dir, data_dir / 'snapshots')}). "
        "Fix: run 'redengine snapshot list --verify' to find the damaged file, then restore it from a backup or git."
    )


def footer_readable(path: Path, rows: int) -> bool:
    """The file exists and its footer parses with the manifest's row count (cheap: no page is read)."""
    try:
        return pq.read_metadata(path).num_rows == rows
    except (pa.ArrowException, OSError, ValueError):
        return False


def damaged(data_dir: Path, entries: list[store.SnapshotEntry]) -> list[str]:
    """Every listed file that is missing or fails verification (checked afresh, nothing cached)."""
    found = []
    for entry in entries:
        for file, sha256 in entry.stored_files().items():
            relative = f"{store.MANIFEST.parent}/{file}"
            path = data_dir / relative
            if not path.is_file():
                found.append(f"{relative}: missing")
            elif failure := problem(path, relative, sha256, entry.rows):
                found.append(failure)
        for file in entry.extras.values():
            relative = f"{store.MANIFEST.parent}/{file}"
            if not (data_dir / relative).is_file():
                found.append(f"{relative}: missing")
            elif failure := problem(data_dir / relative, relative):
                found.append(failure)
    for file in store.DIMENSION_FILES.values():
        if not (data_dir / file).is_file():
            found.append(f"{file}: missing")
        elif failure := problem(data_dir / file, file):
            found.append(failure)
    return found


def sources_without_text(data_dir: Path, entries: list[store.SnapshotEntry]) -> list[str]:
    """Each listed source whose text is not under sources/, as "source_id (file)"; sources in a damaged file
    are left to damaged() to report."""
    files = [
        store.DIMENSION_FILES["sources"],
        *(f"snapshots/{e.extras['sources']}" for e in entries if "sources" in e.extras),
    ]
    found = []
    for relative in files:
        if problem(data_dir / relative, relative):
            continue
        for row in pq.read_table(data_dir / relative, columns=["source_id", "file"]).to_pylist():
            if not (data_dir / row["file"]).is_file():
                found.append(f"{row['source_id']} ({row['file']})")
    return found
