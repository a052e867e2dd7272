"""The What changed page's "Check a snapshot file" box: check an upload, keep the verdict, release the file.

Streamlit keeps an uploaded file in server memory until the visitor removes it or the session
ends (minutes after the tab closes). The box drops it as soon as it has been checked and shows
the verdict from session state, above an empty box.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile

from redengine.core.i18n import LABELS, t
from redengine.core.markup import markdown_text
from redengine.data import shared, snapshots

VERDICT = "_upload_verdict"
GENERATION = "_upload_generation"
NAME_SHOWN = 80  # characters of an upload's name shown in messages
RULE = re.compile(r"\[rule: ([a-z-]+)\]")  # how a provenance refusal names its rule (data/provenance.py)


@dataclass(frozen=True)
class Verdict:
    """What checking one upload found."""

    name: str
    rows: int
    problems: list[str]  # those shown (snapshots.PROBLEMS_SHOWN, then how many more)
    preview: pd.DataFrame | None
    problem_count: int = 0


def problem_lines(verdict: Verdict, lang: str) -> str:
    """The verdict's problems as a Markdown list, the same in either language: each provenance rule named in the
    reader's language, then the problem as `redengine snapshot validate` prints it."""
    lines = [t("upload_refused", lang, n=verdict.problem_count), ""]
    for problem in verdict.problems:
        rule = RULE.search(problem)
        key = f"rule_{rule[1].replace('-', '_')}" if rule else ""
        named = f"**{t(key, lang)}** · " if key in LABELS else ""
        lines.append(f"- {named}{markdown_text(problem)}")
    return "\n".join(lines)


def widget_key() -> str:
    """A new key after each check, so the box is drawn empty once its file is released."""
    return f"upload_{st.session_state.get(GENERATION, 0)}"


def last_verdict() -> Verdict | None:
    return st.session_state.get(VERDICT)


def shown_name(name: str) -> str:
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"


def show(lang: str) -> None:
    """The box: its limits, the last verdict (problems listed, or the file's first rows), then an empty uploader."""
    st.caption(t("upload_limits", lang, mb=snapshots.UPLOAD_MAX_MB, rows=snapshots.UPLOAD_MAX_ROWS))
    verdict = last_verdict()
    if verdict is not None and not verdict.problems:
        st.success(f"{markdown_text(verdict.name)}: " + t("upload_ok", lang, n=verdict.rows))
        st.dataframe(verdict.preview, hide_index=True)
    elif verdict is not None:
        st.error(f"{markdown_text(verdict.name)}: " + problem_lines(verdict, lang))
    upload = st.file_uploader("Parquet", type=["parquet"], key=widget_key(), max_upload_size=snapshots.UPLOAD_MAX_MB)
    if upload is not None:
        check(upload)


def check(upload: UploadedFile) -> None:
    """Checks the upload (from a temporary copy: nothing under the data directory is written),
    keeps the verdict, releases the file and reruns with an empty box."""
    # Its size is bounded before it gets here: server.maxUploadSize (config.toml) refuses larger requests.
    name = shown_name(upload.name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.parquet"  # not the visitor's name: it may be too long or odd
        path.write_bytes(upload.getbuffer())
        result = snapshots.check_upload(shared.database(), path, name)
        preview = snapshots.preview(path) if result.ok else None
    verdict = Verdict(name, result.rows, result.shown_problems(), preview, len(result.problems))
    _release(upload)
    st.session_state[VERDICT] = verdict
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    st.rerun()


def _release(upload: UploadedFile) -> None:
    """Drops the uploaded bytes from the server's memory (as st.chat_input does with its files)."""
    context = get_script_run_ctx()
    if context is not None and isinstance(context.uploaded_file_mgr, MemoryUploadedFileManager):
        context.uploaded_file_mgr.remove_file(session_id=context.session_id, file_id=upload.file_id)
