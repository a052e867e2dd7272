"""A real S3 API on 127.0.0.1 for the tests: moto's server (the S3 protocol over HTTP, as boto3 speaks it).

moto checks If-Match / If-None-Match and then writes, in two steps; served one request at a time, as here,
the check and the write are one step, as S3 makes them. Its threaded server could let two racing writers
both pass the check, which would hide nothing of ours but make a race test flaky.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_bucket_numbers = itertools.count(1)


class QuietHandler(MotoRequestHandler):
    def log_request(self, *args: object) -> None:
        """Every request would be a log line in the test report."""


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """Serves moto's S3 on a free port; yields its endpoint URL."""
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto-s3", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()


def environment(endpoint: str) -> dict[str, str]:
    """The variables a replica or an analyst sets to reach the bucket's server."""
    return {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}


def new_bucket(endpoint: str) -> str:
    """Creates an empty bucket; returns its s3:// URL with a prefix, as a deployment would name it."""
    name = f"redengine-test-{next(_bucket_numbers)}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    return f"s3://{name}/dashboards/redengine"
