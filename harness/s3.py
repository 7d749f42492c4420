"""
An S3-compatible server on loopback for the tests and benchmarks of
pictures past one box: moto's server mode (a real HTTP server speaking the
S3 protocol; django-storages and boto3 talk to it as to any bucket), on a
free port, with one bucket whose objects anyone may read, as a public
bucket or a CDN in front of one serves them.

    with S3Server() as s3:
        s3.storage_settings()   # the STORAGES["media"] entry and MEDIA_URL
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

import boto3

from harness.ports import free_port

BUCKET = "quick-publisher-media"
# moto accepts any keys; boto3 insists on having some.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "harness",
    "AWS_SECRET_ACCESS_KEY": "harness-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> S3Server:
        server = Path(sys.executable).with_name("moto_server")
        self.process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **CREDENTIALS},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        self.client().create_bucket(Bucket=BUCKET)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
            ],
        }
        self.client().put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):  # noqa: ANN201 (boto3's client class is made at run time)
        return boto3.client("s3", endpoint_url=self.endpoint, **_lower(CREDENTIALS))

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def media_url(self) -> str:
        return f"{self.endpoint}/{BUCKET}/"

    def environment(self) -> dict[str, str]:
        """What a site's environment says to keep its pictures in this bucket."""
        return {**CREDENTIALS, "MEDIA_S3_BUCKET": BUCKET, "MEDIA_S3_ENDPOINT_URL": self.endpoint}


def _lower(credentials: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": credentials["AWS_SECRET_ACCESS_KEY"],
        "region_name": credentials["AWS_DEFAULT_REGION"],
    }
