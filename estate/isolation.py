"""Untrusted files read in a child process with memory and time limits.

The app's server is shared: a file that makes a reader allocate without bound, loop or crash (a
native reader can abort the whole process) must cost its uploader an error, never the server. So the
Import page reads each upload in a spawned child with an address-space limit (RLIMIT_AS) and a
wall-clock limit; the child sends back what validation learned, and a child that dies or overruns
becomes a located error naming the file. The limits are documented in docs/inputs.md ("Limits").
"""

from __future__ import annotations

import hashlib
import pickle
import resource
import subprocess
import sys
from pathlib import Path

from estate.issues import Issue, IssueCode
from estate.mapping import MappingProfile
from estate.validation import FileResult, validate_file

MEMORY_BYTES = 6 * 1024**3  # address space of the child: the documented file limits read well inside it
SECONDS = 120  # wall clock for one file; the documented limits read in under a minute on 2 cores


def validate_file_isolated(
    path: Path,
    profile: MappingProfile | None = None,
    name: str | None = None,
    memory: int = MEMORY_BYTES,
    seconds: float = SECONDS,
) -> FileResult:
    """Return `validate_file(path, profile, name)` computed in a child within `memory` bytes and `seconds`.

    The child is a fresh interpreter (`python -m estate.isolation`, nothing inherited from a threaded
    server) that reads its job from stdin and writes the result to stdout. A child that runs out of
    memory, is killed, crashes or overruns gives a FileResult whose one issue says so.
    """
    shown = name or path.name
    job = pickle.dumps((Path(path), profile, shown, memory))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "estate.isolation"], input=job, capture_output=True, timeout=seconds, check=False
        )
    except subprocess.TimeoutExpired:
        return _refused(path, shown, f"reading it took longer than {seconds:,.0f} s")
    if done.returncode == 0 and done.stdout:
        return pickle.loads(done.stdout)  # written by our own child, never by the file
    return _refused(
        path, shown, f"reading it needed more than {memory / 1024**3:,.1f} GiB of memory or crashed the reader"
    )


def _serve() -> None:
    """In the child: read (path, profile, name, memory) from stdin, validate within the limit, pickle the result."""
    path, profile, name, memory = pickle.loads(sys.stdin.buffer.read())
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    result = validate_file(path, profile, name)
    sys.stdout.buffer.write(pickle.dumps(result))


def _refused(path: Path, name: str, why: str) -> FileResult:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    message = (
        f"the file was refused: {why} (limits: docs/inputs.md, 'Limits'); it may be damaged or built to "
        "exhaust the reader: open it in Excel or LibreOffice, save it again, and upload the saved copy"
    )
    return FileResult(path, name, digest, issues=[Issue(name, "", None, "", "", IssueCode.TOO_LARGE, message)])


if __name__ == "__main__":
    _serve()
