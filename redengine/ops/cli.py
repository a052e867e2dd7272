"""Command line: `redengine build-data`, `redengine snapshot validate|add|list|diff|gc|export|publish` and
`redengine curate draft|check`.

Exit codes: 0 success, 2 invalid input (every problem printed, nothing written). With REDENGINE_DATA_URL
(s3://…), add, gc, list --verify and publish work on the bucket (redengine/data/objectstore.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from redengine.core.domain import format_qualified
from redengine.data import curation, draft, integrity, package, shared, snapshots, store
from redengine.data.db import Database
from redengine.present import links

INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redengine",
        description="Red Engine data: build the bundled tables, manage analysts' snapshots. "
        f"The data directory is data/ unless {store.DATA_DIR_ENV} names another.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build-data", help="rebuild the Parquet tables from data/curation/")

    snapshot = commands.add_parser("snapshot", help="validate, add, list or compare snapshots")
    actions = snapshot.add_subparsers(dest="action", required=True)
    curate = commands.add_parser("curate", help="draft a facts file from a report's text; check a facts file")
    curate_actions = curate.add_subparsers(dest="action", required=True)
    drafting = curate_actions.add_parser(
        "draft", help="every figure a report prints, as a facts CSV (curation columns) to complete and prune"
    )
    drafting.add_argument("report", type=Path, metavar="REPORT.txt", help="the report's verbatim text, UTF-8")
    drafting.add_argument("--source-id", required=True, metavar="ID", help="the report's source_id")
    drafting.add_argument("--district", required=True, metavar="ID", help="the place the report is about")
    drafting.add_argument("--out", type=Path, metavar="FACTS.csv", help="write here (default: standard output)")
    inputs = [
        (actions, "validate", "check a snapshot file; writes nothing"),
        (actions, "add", "validate, then add"),
        (curate_actions, "check", "run every check of 'snapshot validate' on a facts CSV; writes nothing"),
    ]
    for group, name, text in inputs:
        action = group.add_parser(name, help=text)
        action.add_argument("file", type=Path, help="facts, as Parquet or CSV (curation columns; README)")
        for kind in store.DIMENSION_FILES:
            action.add_argument(f"--{kind}", type=Path, metavar="FILE", help=f"new {kind}, as Parquet or CSV")
        action.add_argument(
            "--text",
            type=Path,
            action="append",
            metavar="FILE",
            help="the verbatim UTF-8 text of a new source (named as its `file`); repeat for several",
        )
        if name == "add":
            action.add_argument("--id", dest="snapshot_id", help="snapshot id (default: the file name)")
            action.add_argument("--replace", action="store_true", help="replace a snapshot with this id")
            whole = action.add_mutually_exclusive_group()
            whole.add_argument(
                "--amend",
                nargs="?",
                const=snapshots.LATEST,
                metavar="BASE",
                help="the new snapshot is BASE (default: the latest) with this file's figures added or, for the "
                "same place, metric and period, replacing BASE's",
            )
            whole.add_argument(
                "--replace-all",
                action="store_true",
                help="the file is the whole new snapshot, even if it leaves out most of the latest one's figures",
            )
    listing = actions.add_parser("list", help="every snapshot: id, added, figures, places, metrics, checksum")
    listing.add_argument(
        "--verify",
        action="store_true",
        help="also check every file (sha256, row count, page checksums) and list files interrupted adds left",
    )
    gc = actions.add_parser("gc", help="remove files interrupted adds left; lists them only, unless --delete")
    gc.add_argument("--backups", action="store_true", help="also the files --replace kept as backups")
    gc.add_argument("--delete", action="store_true", help="remove them (default: only list them)")
    gc.add_argument(
        "--min-age",
        type=float,
        default=3600,
        metavar="SECONDS",
        help=f"with {store.DATA_URL_ENV}: remove only objects written this long ago, so that adds in progress "
        "keep theirs (default 3600)",
    )
    publish = actions.add_parser("publish", help=f"copy a local data directory to the empty {store.DATA_URL_ENV}")
    publish.add_argument("directory", type=Path, metavar="DIR", help="a data directory, e.g. data")
    export = actions.add_parser("export", help="write a snapshot as a citable data package (zip)")
    export.add_argument("snapshot_id", metavar="ID")
    export.add_argument("out", metavar="OUT.zip", type=Path)
    diff = actions.add_parser("diff", help="figures added, removed and revised from A to B")
    diff.add_argument("old", metavar="A")
    diff.add_argument("new", metavar="B")
    return parser


def _supplied(args: argparse.Namespace) -> dict[str, Path]:
    return {kind: getattr(args, kind) for kind in store.DIMENSION_FILES if getattr(args, kind)}


def _plan(args: argparse.Namespace) -> snapshots.Plan:
    return snapshots.Plan(amend=args.amend, replace_all=args.replace_all, texts=tuple(args.text or ()))


def _list(database: Database) -> None:
    entries = database.snapshots()
    summary = database.query("snapshot_summary", snapshot_ids=[e.id for e in entries]).set_index("snapshot_id")
    print(f"{'id':<32} {'added':<26} {'figures':>8} {'places':>6} {'metrics':>7}  sha256")
    for entry in entries:
        row = summary.loc[entry.id]
        print(
            f"{entry.id:<32} {entry.added:<26} {entry.rows:>8} {row['places']:>6} "
            f"{row['metrics']:>7}  {entry.sha256[:16]}"
        )


def _diff(database: Database, old: str, new: str) -> int:
    known = {e.id for e in database.snapshots()}
    unknown = [s for s in (old, new) if s not in known]
    if unknown:
        print(f"unknown snapshot(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return INVALID
    changes = database.query("snapshot_diff", old_snapshot_id=old, new_snapshot_id=new, row_limit=None)
    counts = changes["change"].value_counts()
    print(f"{old} → {new}: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("added", "removed", "revised")))
    for row in changes.to_dict("records"):
        # With the qualifier: a revision from exact to "at least" must show.
        old_text = format_qualified(row["old_value"], row["unit"], row["old_qualifier"], "en")
        new_text = format_qualified(row["new_value"], row["unit"], row["new_qualifier"], "en")
        print(
            f"  {row['change']:<8} {row['district_id']} · {row['metric_id']} · {row['period_label']}: "
            f"{old_text} → {new_text}"
        )
        for label, quote in (("old", row["old_quote"]), ("new", row["new_quote"])):
            if isinstance(quote, str):
                print(f"           {label} quote: {quote}")
    return 0


def _export(database: Database, snapshot_id: str, out: Path) -> int:
    known = [e.id for e in database.snapshots()]
    if snapshot_id not in known:
        print(f"unknown snapshot {snapshot_id}. Fix: use one of {', '.join(known)}", file=sys.stderr)
        return INVALID
    if out.suffix != ".zip" or not out.parent.is_dir():
        print(
            f"{out}: not a .zip file in an existing directory. Fix: name a file like ./{snapshot_id}.zip",
            file=sys.stderr,
        )
        return INVALID
    store.atomic_write_bytes(out, package.build(database, snapshot_id))
    print(
        f"wrote {out}: snapshot {snapshot_id}'s data package, "
        f"as served at {links.API_PREFIX}/snapshots/{snapshot_id}.zip"
    )
    return 0


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data_url = os.environ.get(store.DATA_URL_ENV)
    if args.command == "snapshot" and (args.action == "publish" or (data_url and args.action in BUCKET_ACTIONS)):
        return _run_on_bucket(args, data_url)
    try:
        database = shared.database()  # with a data URL, this copies the bucket's files, which can fail
    except store.DataDirError as error:
        print(error, file=sys.stderr)
        return INVALID
    try:
        if args.command == "build-data":
            counts = curation.build(database.data_dir)
            print(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" written to {database.data_dir}")
            return 0
        if args.action == "draft":
            return _draft(database, args)
        if args.action in ("validate", "add", "check"):
            snapshots.release_memory_promptly()
            return _check_or_add(database, args)
        if args.action == "list":
            if args.verify and not (_verify_bucket(database, data_url) if data_url else _verify(database.data_dir)):
                return INVALID
            _list(database)
            return 0
        if args.action == "gc":
            return _collect_garbage(database.data_dir, args.backups, args.delete)
        if args.action == "export":
            return _export(database, args.snapshot_id, args.out)
        return _diff(database, args.old, args.new)
    except (snapshots.SnapshotError, curation.CurationError) as error:
        print(error, file=sys.stderr)
        return INVALID
    except store.DataDirError as error:
        print(f"{error}\n(data directory: {database.data_dir})", file=sys.stderr)
        return INVALID
    except OSError as error:
        print(
            f"{error.filename or 'a file'}: {error.strerror}. Fix: check that the file exists and this user may "
            "read it (and, to add or build, write the data directory)",
            file=sys.stderr,
        )
        return INVALID


def _check_or_add(database: Database, args: argparse.Namespace) -> int:
    """snapshot validate, snapshot add and curate check, with any CSV input read as Parquet."""
    with tempfile.TemporaryDirectory(prefix="redengine-csv-") as folder:
        given: dict[str, str] = {}  # a converted file's path → the path the analyst gave
        try:
            for name, kind in (("file", "facts"), *((k, k) for k in store.DIMENSION_FILES)):
                path = getattr(args, name)
                if path is not None and path.suffix.lower() == ".csv":
                    converted = Path(folder) / f"{name}.parquet"
                    pq.write_table(draft.read_csv_table(path, kind), converted)
                    setattr(args, name, converted)
                    given[str(converted)] = str(path)
            if args.action == "add":
                entry = snapshots.add(database, args.file, args.snapshot_id, args.replace, _supplied(args), _plan(args))
                print(f"added snapshot {entry.id}: {entry.rows} figures, sha256 {entry.sha256}")
                return 0
            result = snapshots.validate(database, args.file, _supplied(args), args.text)
            print(_named_as_given(result.report(), given), file=sys.stdout if result.ok else sys.stderr)
            return 0 if result.ok else INVALID
        except draft.CsvError as error:
            print(error, file=sys.stderr)
            return INVALID
        except snapshots.SnapshotError as error:
            print(_named_as_given(str(error), given), file=sys.stderr)
            return INVALID


def _named_as_given(text: str, given: dict[str, str]) -> str:
    for converted, path in given.items():
        text = text.replace(converted, path)
    return text


def _draft(database: Database, args: argparse.Namespace) -> int:
    try:
        text = args.report.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        print(f"{args.report}: not UTF-8 text. Fix: save the report's text as UTF-8", file=sys.stderr)
        return INVALID
    sources = database.query("dimension_table", kind="sources").set_index("source_id")
    period_end = str(sources.at[args.source_id, "period_end"])[:10] if args.source_id in sources.index else None
    metrics = database.query("dimension_table", kind="metrics").to_dict("records")
    drafted = draft.draft(text, args.source_id, args.district, metrics, period_end)
    csv = drafted.to_csv(index=False)
    if args.out:
        store.atomic_write_bytes(args.out, csv.encode("utf-8"))
        print(f"wrote {args.out}: {len(drafted)} figures to complete and prune", file=sys.stderr)
    else:
        sys.stdout.write(csv)
    return 0


BUCKET_ACTIONS = ("add", "gc", "publish")


def _run_on_bucket(args: argparse.Namespace, data_url: str | None) -> int:
    """The writing commands, and list --verify, against the bucket named by REDENGINE_DATA_URL."""
    from redengine.data import objectstore  # boto3 only where a bucket is used

    if not data_url:
        print(
            f"publish copies a data directory to a bucket. Fix: set {store.DATA_URL_ENV}=s3://BUCKET/PREFIX",
            file=sys.stderr,
        )
        return INVALID
    try:
        bucket = objectstore.Bucket(data_url)
        if args.action == "publish":
            manifest = objectstore.publish(bucket, args.directory)
            print(f"published {len(manifest.entries)} snapshot(s), {len(manifest.objects)} files, to {bucket.url}")
            return 0
        if args.action == "add":
            snapshots.release_memory_promptly()
            plan = _plan(args)
            entry = objectstore.add(bucket, args.file, args.snapshot_id, args.replace, _supplied(args), plan=plan)
            print(f"added snapshot {entry.id} to {bucket.url}: {entry.rows} figures, sha256 {entry.sha256}")
            return 0
        return _print_garbage(objectstore.collect_garbage(bucket, args.backups, args.delete, args.min_age), args.delete)
    except snapshots.SnapshotError as error:
        print(error, file=sys.stderr)
        return INVALID
    except store.DataDirError as error:
        print(error, file=sys.stderr)
        return INVALID


def _verify(data_dir: Path) -> bool:
    """Prints every damaged file and what interrupted adds left; False when a listed file is damaged."""
    entries = store.read_manifest(data_dir)
    damaged = integrity.damaged(data_dir, entries)
    for problem in damaged:
        print(problem, file=sys.stderr)
    textless = integrity.sources_without_text(data_dir, entries)
    if textless:
        print(
            f"{len(textless)} listed source(s) without their text: {', '.join(textless)}. Fix: put each report's "
            "verbatim UTF-8 text at that path (restore it from git or a backup); a new report's text comes with "
            "'snapshot add … --sources F --text FILE'",
            file=sys.stderr,
        )
    left_over = store.orphans(data_dir, entries)
    if left_over:
        print(
            f"{len(left_over)} file(s) under snapshots/ no manifest entry lists (left by interrupted adds): "
            f"{', '.join(left_over)}. Fix: 'redengine snapshot gc --delete' removes them.",
            file=sys.stderr,
        )
    return not damaged and not textless


def _verify_bucket(database: Database, data_url: str) -> bool:
    from redengine.data import objectstore

    damaged, left_over = objectstore.verify(objectstore.Bucket(data_url), database)
    for problem in damaged:
        print(problem, file=sys.stderr)
    if left_over:
        keys = ", ".join(objectstore.OBJECTS_PREFIX + sha for sha in left_over)
        print(
            f"{len(left_over)} object(s) under {data_url}/{objectstore.OBJECTS_PREFIX} no manifest entry lists "
            f"(left by interrupted adds, or by adds still running): {keys}. Fix: 'redengine "
            "snapshot gc --delete' removes those older than an hour.",
            file=sys.stderr,
        )
    return not damaged


def _collect_garbage(data_dir: Path, backups: bool, delete: bool) -> int:
    garbage = snapshots.collect_garbage(data_dir, backups, delete)
    return _print_garbage([f"snapshots/{file}" for file in garbage], delete)


def _print_garbage(garbage: list[str], delete: bool) -> int:
    verb = "removed" if delete else "would remove"
    for file in garbage:
        print(f"{verb} {file}")
    if not garbage:
        print("nothing to remove")
    elif not delete:
        print("(dry run: pass --delete to remove them)")
    return 0


def main() -> None:
    sys.exit(run())
