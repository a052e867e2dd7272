"""Start-up work (web.lifespan → warm.warm_up): the first visitor finds the data layer ready."""

from __future__ import annotations

import logging

import pytest
from conftest import DATA_DIR

from redengine.data import shared, store
from redengine.data.db import SUMMARIES_DIR
from redengine.web import warm


@pytest.fixture(autouse=True)
def no_open_database(monkeypatch):
    monkeypatch.setattr(shared, "_current", None)


def test_start_up_opens_the_database_and_fills_the_latest_snapshots_summaries(monkeypatch):
    monkeypatch.setenv(store.DATA_DIR_ENV, str(DATA_DIR))
    warm.warm_up()
    database = shared.database()
    latest = database.snapshots()[-1].id
    summaries = {file.stem for file in SUMMARIES_DIR.glob("*.sql")}
    assert {(summary, latest) for summary in summaries} <= database._filled[database._current()]


def test_start_up_leaves_an_unreadable_data_directory_to_the_pages(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(store.DATA_DIR_ENV, str(tmp_path))  # no manifest
    with caplog.at_level(logging.WARNING, logger="redengine.web.warm"):
        warm.warm_up()
    assert "start-up could not read the data" in caplog.text


def test_a_file_error_at_start_up_leaves_the_work_to_the_first_visitor(monkeypatch, caplog):
    def racing_sync() -> None:  # a replica's mirror of the bucket, synced by another replica at the same moment
        raise FileNotFoundError("objects/3f38… -> mirrors/…/.concepts.parquet.tmp")

    monkeypatch.setattr(shared, "data_dir", racing_sync)
    with caplog.at_level(logging.WARNING, logger="redengine.web.warm"):
        warm.warm_up()  # does not raise: the server still starts
    assert "the first visitor will" in caplog.text
