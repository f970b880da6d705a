"""Test and benchmark helpers: the app served on a free loopback port, and headless Chromium's flags."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Headless Debian chromium on a machine with no network beyond loopback (used by the tests and bench_app)
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run")  # fmt: skip


@contextmanager
def running_app(db: Path, timeout: float = 60) -> Iterator[str]:
    """Start `estate app --db DB` on a free loopback port; yield its URL once it accepts connections; stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    estate = str(Path(sys.executable).with_name("estate"))
    server = subprocess.Popen(
        [estate, "app", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None:
                raise RuntimeError(f"estate app exited with code {server.returncode}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
