"""Output files written atomically: a temporary file beside the target, renamed into place."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(OSError):
    """An output file cannot be written (missing or read-only folder, full disk); nothing partial is left."""


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        descriptor, name = tempfile.mkstemp(dir=folder, suffix=target.suffix, prefix=f".{target.stem}-")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(descriptor)
    temporary = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    temporary.chmod(0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; when the block succeeds, move its files into `target`.

    A failure while writing (a full disk, say) leaves `target` as it was and removes the temporary
    folder. Files are moved one by one with renames (no new space needed), `manifest.json` last, and
    files already in `target` that the block did not write are left alone.
    """
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}-"))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        yield work
        files = sorted((p for p in work.rglob("*") if p.is_file()), key=lambda p: (p.name == "manifest.json", p))
        for path in files:
            destination = target / path.relative_to(work)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sha256_of(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
