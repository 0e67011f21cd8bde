"""S3 on 127.0.0.1 for the shared-storage tests: moto's server mode (a real HTTP S3 API).

s3fs finds it through ``AWS_ENDPOINT_URL`` and any key pair, as it would find MinIO or another
S3-compatible store in an office. One server per test session: s3fs keeps one client per
process, so its address must not change under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.smtp_server import free_port

S3_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "cchc-test",
    "AWS_SECRET_ACCESS_KEY": "cchc-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """A moto S3 server; yields the environment a client needs (endpoint and keys)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield {**S3_ENVIRONMENT, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    finally:
        server.stop()


def make_bucket(environment: dict[str, str], name: str) -> None:
    import boto3

    boto3.client(
        "s3",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name=environment["AWS_DEFAULT_REGION"],
    ).create_bucket(Bucket=name)
