"""Start a local server process, wait until its port answers, stop it (only it) afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["REPO", "ServerProcess", "free_port", "port_open"]

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class ServerProcess:
    """One child process serving on 127.0.0.1:`port`; its output goes to `log`."""

    def __init__(
        self,
        argv: Sequence[str],
        port: int,
        log: Path,
        env: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.argv = list(argv)
        self.port = port
        self.log = log
        self.env = {**os.environ, **(env or {})}
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            self.argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # its own group: stop() ends it and only it
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited early:\n{self.log.read_text()[-3000:]}")
            if port_open(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.argv[0]} did not listen on {self.port}:\n{self.log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
