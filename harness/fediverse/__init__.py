"""
The fediverse peer (harness/fediverse/peer.py, bovine's code in a virtualenv
of its own) started on loopback for the tests, and driven from them:

    with FediversePeer(tmp_path / "peer.log") as peer:
        peer.follow("ada@127.0.0.1:8000")      # WebFinger, then a signed Follow
        peer.wait_for(lambda got: ...)         # what reached its inboxes, checked by bovine
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "peer" / "bin" / "python"
PROGRAM = Path(__file__).with_name("peer.py")


class FediversePeer:
    def __init__(self, log: Path, name: str = "alice") -> None:
        self.log_path = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.actor_id = f"{self.base}/users/{name}"
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FediversePeer:
        if not PYTHON.exists():
            raise RuntimeError(f"{PYTHON} is missing: `make peer` makes the fediverse peer's virtualenv")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), str(PROGRAM), "--port", str(self.port), "--name", self.name],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while "peer ready" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"the fediverse peer did not start:\n{self.log()}")
            time.sleep(0.1)
        return self

    def log(self) -> str:
        """What the peer printed: bovine logs why a signature it checked does not hold."""
        return self.log_path.read_text()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _call(self, path: str, payload: dict | None = None) -> dict | list:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    def follow(self, account: str) -> dict:
        """Look `account` up by WebFinger and send it a signed Follow: {"follow_id", "actor", "status"}."""
        answer = self._call("/control/follow", {"account": account})
        assert isinstance(answer, dict)
        return answer

    def unfollow(self, follow_id: str) -> int:
        answer = self._call("/control/unfollow", {"follow_id": follow_id})
        assert isinstance(answer, dict)
        return answer["status"]

    def like(self, obj: str, *, inbox: str) -> int:
        answer = self._call("/control/like", {"object": obj, "inbox": inbox})
        assert isinstance(answer, dict)
        return answer["status"]

    def received(self) -> list[dict]:
        answer = self._call("/control/received")
        assert isinstance(answer, list)
        return answer

    def wait_for(self, found: Callable[[list[dict]], object], timeout: float = 60) -> list[dict]:
        """What reached the peer's inboxes, once `found` holds of it; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.received()
            if found(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"the peer did not receive what was expected in {timeout} s: {got}\n{self.log()}")
            time.sleep(0.2)
