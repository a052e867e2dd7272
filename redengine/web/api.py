"""The read-only data API under /api/v1/: snapshots, facts, dimension tables, data packages, SQL.

Every response names its snapshot (headers X-Redengine-Snapshot and Content-Location, a
`snapshot_id` column in facts, the metadata of JSON and Parquet). Its ETag is derived from the
snapshot's sha256, the dimension files' bytes and the request, so a URL pinned to a snapshot
answers 304 to a client that has it. Bad input is a 400 that lists what is valid.

Handlers are plain functions: Starlette runs them in its thread pool, off the event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pyarrow as pa
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from redengine.data import package, shared, sql_sandbox, store
from redengine.data.db import Database
from redengine.data.schema import ID_COLUMN
from redengine.present import exports
from redengine.present.links import API_PREFIX as PREFIX
from redengine.present.views import ADJUSTMENTS, NO_ADJUSTMENT

FORMATS = exports.FORMATS


@dataclass(frozen=True)
class Filter:
    """A facts filter: values of `column` in dimension `table`, which select that table's ids."""

    table: str
    column: str


# facts.<format>?district=…&metric=…: each filter may repeat or hold comma-separated values.
FACT_FILTERS = {
    "district": Filter("districts", "district_id"),
    "concept": Filter("metrics", "concept_id"),
    "metric": Filter("metrics", "metric_id"),
    "category": Filter("metrics", "category"),
    "source": Filter("sources", "source_id"),
}
# The facts query takes the ids of each dimension table a filter selects.
FILTER_PARAMS = {"districts": "district_ids", "metrics": "metric_ids", "sources": "source_ids"}
VALUES_LISTED = 30
SNAPSHOT_LISTING = pa.schema(
    [("id", pa.string()), ("added", pa.string()), ("rows", pa.int64()), ("sha256", pa.string())]
)
PINNED_CACHE = "public, max-age=86400"  # a snapshot's bytes do not change; a day, then revalidate by ETag
LATEST_CACHE = "public, no-cache"  # "the latest" moves: a proxy may keep it but must revalidate
LOG = logging.getLogger(__name__)


class BadRequest(ValueError):
    """A parameter that is unknown, malformed or names nothing; the message lists what is valid."""


# -- parameters -----------------------------------------------------------------------------


def _values(request: Request, name: str) -> list[str]:
    """A parameter given repeatedly and/or comma-separated, in order, without duplicates."""
    raw = [item.strip() for value in request.query_params.getlist(name) for item in value.split(",")]
    if any(not item for item in raw):
        raise BadRequest(f"The parameter {name}= has an empty value. Fix: give ids, comma-separated or repeated.")
    return list(dict.fromkeys(raw))


def _check_names(request: Request, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.query_params.keys()) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "no parameters"
        raise BadRequest(f"Unknown parameter(s): {', '.join(unknown)}. Fix: this endpoint takes {takes}.")


def _listing(values: list[str], where: str) -> str:
    shown = ", ".join(values[:VALUES_LISTED])
    more = f" and {len(values) - VALUES_LISTED:,} more (see {where})" if len(values) > VALUES_LISTED else ""
    return shown + more


def _snapshot(request: Request, data: Database) -> tuple[store.SnapshotEntry, bool]:
    """The snapshot named by snapshot= (pinned) or else the latest."""
    entries = data.snapshots()
    given = _values(request, "snapshot")
    if not given:
        return entries[-1], False
    by_id = {entry.id: entry for entry in entries}
    if len(given) > 1 or given[0] not in by_id:
        known = _listing([e.id for e in reversed(entries)], f"{PREFIX}/snapshots.csv")
        raise BadRequest(f"snapshot={','.join(given)[:80]} is not one snapshot id. Fix: use one of {known}.")
    return by_id[given[0]], True


def _fact_filters(request: Request, data: Database) -> dict[str, list[str] | None]:
    """The facts query's id lists: each filter's values checked, then turned into its table's ids."""
    selected: dict[str, set[str]] = {}
    for name, spec in FACT_FILTERS.items():
        wanted = _values(request, name)
        if not wanted:
            continue
        table = data.query("dimension_table", kind=spec.table)
        valid = sorted(set(table[spec.column].dropna()))
        unknown = [value for value in wanted if value not in valid]
        if unknown:
            listed = _listing(valid, f"{PREFIX}/{spec.table}.csv")
            raise BadRequest(f"Unknown {name}: {', '.join(unknown)[:200]}. Fix: use one of {listed}.")
        ids = set(table.loc[table[spec.column].isin(wanted), ID_COLUMN[spec.table]])
        selected[spec.table] = selected[spec.table] & ids if spec.table in selected else ids
    return {param: sorted(selected[table]) if table in selected else None for table, param in FILTER_PARAMS.items()}


# -- responses -------------------------------------------------------------------------------


_stamps: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    """sha256 of a file, remembered while its size and modification time stay the same."""
    status = path.stat()
    key = (str(path), status.st_mtime_ns, status.st_size)
    if key not in _stamps:
        _stamps[key] = store.sha256_file(path)
    return _stamps[key]


def dimension_stamp(data: Database) -> str:
    """Changes whenever a dimension file (or one a snapshot brought) does."""
    files = [data.data_dir / name for name in store.DIMENSION_FILES.values()]
    files += [data.data_dir / "snapshots" / f for entry in data.snapshots() for f in sorted(entry.extras.values())]
    return hashlib.sha256("".join(_file_digest(path) for path in files).encode()).hexdigest()


def _etag(request: Request, *parts: str) -> str:
    canonical = sorted(request.query_params.multi_items())
    digest = hashlib.sha256(json.dumps([PREFIX, request.url.path, canonical, *parts]).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _pinned_url(request: Request, snapshot_id: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "snapshot"] + [("snapshot", snapshot_id)]
    return f"{request.url.path}?{urlencode(params)}"


def _not_modified(request: Request, etag: str) -> bool:
    return etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]


def _error(status: int, message: str, fmt: str | None, headers: dict[str, str] | None = None) -> Response:
    if fmt == "json":
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def _answer(
    request: Request, fmt: str, name: str, build: Callable[[Database], tuple[bytes, store.SnapshotEntry, bool]]
) -> Response:
    """Runs a handler's body with the API's error handling: 400 for bad input, 503 for unreadable data."""
    if fmt not in FORMATS and fmt != "zip":
        return _error(404, f"No format .{fmt} for {name}. Fix: use .csv, .json or .parquet.", None)
    try:
        return build(shared.database())
    except BadRequest as error:
        return _error(400, str(error), fmt)
    except store.DataDirError:
        # The message names files on the server: logged there, not shown to the world.
        LOG.exception("API request %s failed: the data directory cannot be read", request.url.path)
        return _error(
            503,
            "The data cannot be read right now. Fix: try again later; the operator can run "
            "'redengine snapshot list --verify' to find the damaged file.",
            fmt,
        )


def _table_response(
    request: Request, fmt: str, name: str, data: Database, entry: store.SnapshotEntry, pinned: bool, body
) -> Response:
    etag = _etag(request, fmt, entry.sha256, dimension_stamp(data))
    headers = {
        "ETag": etag,
        "Cache-Control": PINNED_CACHE if pinned else LATEST_CACHE,
        "X-Redengine-Snapshot": entry.id,
        "X-Redengine-Snapshot-Sha256": entry.sha256,
        "Content-Location": _pinned_url(request, entry.id),
    }
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    about = {"snapshot_id": entry.id, "snapshot_sha256": entry.sha256, "snapshot_added": entry.added}
    if fmt != "json":
        headers["Content-Disposition"] = f'attachment; filename="{name}-{entry.id}.{fmt}"'
    return Response(
        body(about), media_type=FORMATS[fmt].media_type if fmt in FORMATS else "application/zip", headers=headers
    )


# -- handlers --------------------------------------------------------------------------------


def snapshots(request: Request) -> Response:
    fmt = request.path_params["fmt"]

    def build(data: Database) -> Response:
        _check_names(request, ())
        entries = data.snapshots()
        listing = pa.Table.from_pylist(
            [{"id": e.id, "added": e.added, "rows": e.rows, "sha256": e.sha256} for e in reversed(entries)],
            schema=SNAPSHOT_LISTING,
        )
        latest = entries[-1]
        etag = _etag(request, fmt, data.version())
        headers = {"ETag": etag, "Cache-Control": LATEST_CACHE, "X-Redengine-Snapshot": latest.id}
        if _not_modified(request, etag):
            return Response(status_code=304, headers=headers)
        about = {"latest_snapshot_id": latest.id}
        return Response(exports.encode(listing, fmt, about), media_type=FORMATS[fmt].media_type, headers=headers)

    return _answer(request, fmt, "snapshots", build)


def facts(request: Request) -> Response:
    fmt = request.path_params["fmt"]

    def build(data: Database) -> Response:
        _check_names(request, ("snapshot", *FACT_FILTERS))
        entry, pinned = _snapshot(request, data)
        filters = _fact_filters(request, data)

        def body(about: dict[str, str]) -> bytes:
            return exports.encode(data.query_arrow("snapshot_facts", snapshot_id=entry.id, **filters), fmt, about)

        return _table_response(request, fmt, "facts", data, entry, pinned, body)

    return _answer(request, fmt, "facts", build)


def _one_of(request: Request, name: str, valid: list[str], required: bool) -> str | None:
    given = _values(request, name)
    if not given and not required:
        return None
    if len(given) != 1 or given[0] not in valid:
        what = f"{name}={','.join(given)[:80]}" if given else f"{name}= is missing; it"
        raise BadRequest(f"{what} is not one of the valid values. Fix: use one of {_listing(valid, PREFIX + '/')}.")
    return given[0]


def comparison(request: Request) -> Response:
    """Compare's figures as data: one concept across places, each figure with its verdict (reasons, like-for-like
    set) and, with per=, its value per unit beside the denominator's figure, period and quote."""
    fmt = request.path_params["fmt"]

    def build(data: Database) -> Response:
        _check_names(request, ("snapshot", "concept", "district", "per"))
        entry, pinned = _snapshot(request, data)
        concepts = data.query("dimension_table", kind="concepts")["concept_id"].tolist()
        concept = _one_of(request, "concept", sorted(concepts), required=True)
        places = data.query("dimension_table", kind="districts")["district_id"].tolist()
        wanted = _values(request, "district") or places
        unknown = [p for p in wanted if p not in places]
        if unknown:
            raise BadRequest(f"Unknown district: {', '.join(unknown)[:200]}. Fix: use one of {_listing(places, '')}.")
        per = _one_of(request, "per", [a for a in ADJUSTMENTS if a != NO_ADJUSTMENT], required=False)
        params = {"concept_id": concept, "metric_id": None, "district_ids": wanted, "per": per}

        def body(about: dict[str, str]) -> bytes:
            rows = data.query_arrow(
                "concept_figures", snapshot_id=entry.id, like_for_like_only=False, per_month=False, **params
            )
            return exports.encode(rows, fmt, about)

        return _table_response(request, fmt, "comparison", data, entry, pinned, body)

    return _answer(request, fmt, "comparison", build)


def dimension(kind: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        fmt = request.path_params["fmt"]

        def build(data: Database) -> Response:
            _check_names(request, ("snapshot",))
            entry, pinned = _snapshot(request, data)

            def body(about: dict[str, str]) -> bytes:
                return exports.encode(data.query_arrow("dimension_table", kind=kind), fmt, about)

            return _table_response(request, fmt, kind, data, entry, pinned, body)

        return _answer(request, fmt, kind, build)

    return handler


def data_package(request: Request) -> Response:
    def build(data: Database) -> Response:
        _check_names(request, ())
        snapshot_id = request.path_params["snapshot_id"]
        known = [e.id for e in reversed(data.snapshots())]
        if snapshot_id not in known:
            listed = _listing(known, f"{PREFIX}/snapshots.csv")
            raise BadRequest(f"No snapshot {snapshot_id[:80]!r}. Fix: use one of {listed}.")
        entry = next(e for e in data.snapshots() if e.id == snapshot_id)
        return _table_response(
            request, "zip", "redengine", data, entry, True, lambda _about: package.build(data, snapshot_id)
        )

    return _answer(request, "zip", "snapshots", build)


def sql(request: Request) -> Response:
    fmt = request.path_params["fmt"]

    def build(data: Database) -> Response:
        _check_names(request, ("q", "snapshot"))
        entry, pinned = _snapshot(request, data)
        query = request.query_params.get("q", "")

        def body(about: dict[str, str]) -> bytes:
            result = sql_sandbox.run(data.data_dir, entry.id, query)
            return exports.encode(result.table, fmt, {**about, "truncated": str(result.truncated).lower()})

        try:
            return _table_response(request, fmt, "sql", data, entry, pinned, body)
        except sql_sandbox.SqlBusy as error:
            return _error(503, str(error), fmt, {"Retry-After": "5"})
        except sql_sandbox.SqlRefused as error:
            raise BadRequest(str(error)) from None

    return _answer(request, fmt, "sql", build)


def index(request: Request) -> Response:
    return JSONResponse({"endpoints": ENDPOINTS, "formats": list(FORMATS)})


def not_found(request: Request) -> Response:
    return JSONResponse(
        {"error": f"No endpoint {request.url.path}. Fix: use one of {', '.join(ENDPOINTS)}."}, status_code=404
    )


ENDPOINTS = [
    f"{PREFIX}/snapshots.{{csv,json,parquet}}",
    f"{PREFIX}/facts.{{csv,json,parquet}}?snapshot=&{'=&'.join(FACT_FILTERS)}=",
    *(f"{PREFIX}/{kind}.{{csv,json,parquet}}?snapshot=" for kind in package.DIMENSIONS),
    f"{PREFIX}/comparison.{{csv,json,parquet}}?concept=&district=&per=&snapshot=",
    f"{PREFIX}/snapshots/ID.zip",
    f"{PREFIX}/sql.{{csv,json,parquet}}?q=&snapshot=",
]


def routes() -> list[BaseRoute]:
    """The API's routes, GET (and HEAD) only: anything else is a 405."""
    return [
        Route(f"{PREFIX}/", index, methods=["GET"]),
        Route(f"{PREFIX}/snapshots.{{fmt}}", snapshots, methods=["GET"]),
        Route(f"{PREFIX}/snapshots/{{snapshot_id}}.zip", data_package, methods=["GET"]),
        Route(f"{PREFIX}/facts.{{fmt}}", facts, methods=["GET"]),
        Route(f"{PREFIX}/comparison.{{fmt}}", comparison, methods=["GET"]),
        Route(f"{PREFIX}/sql.{{fmt}}", sql, methods=["GET"]),
        *(Route(f"{PREFIX}/{kind}.{{fmt}}", dimension(kind), methods=["GET"]) for kind in package.DIMENSIONS),
        Route(f"{PREFIX}/{{rest:path}}", not_found),
    ]
