"""Output files written atomically: a temporary file beside the target, renamed into place."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class OutputError(OSError):
    """An output file cannot be written (missing or read-only folder, full disk); nothing partial is left."""


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    folder = target.parent if str(target.parent) else Path(".")
    _remove_leftovers(folder, f".{target.stem}-", target.suffix)
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
def atomic_folder(target: Path, marker: str = "manifest.json") -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; when the block succeeds, it becomes `target`.

    The old folder is replaced whole (two renames, the old one removed after), so `target` holds all
    the old files or all the new ones, never a mix, and nothing from an earlier run lingers beside the
    new. A failure while writing (a full disk, a kill) leaves `target` as it was and the temporary folder
    is removed (or, after a kill, ignored: it is hidden and never read). A `target` that exists but is
    not a folder this wrote (no `marker` file in it) and is not empty is refused, never replaced.
    """
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir() and any(target.iterdir()) and not (target / marker).is_file():
        raise OutputError(
            f"cannot write {target}: the folder has files but is not one estate wrote (no {marker}): "
            "choose a new or empty folder; nothing was changed"
        )
    if target.exists() and not target.is_dir():
        raise OutputError(f"cannot write {target}: it is a file, not a folder; nothing was changed")
    _remove_leftovers(parent, f".{target.name}-new-", "")
    _remove_leftovers(parent, f".{target.name}-old-", "")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}-new-"))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    old = parent / f".{target.name}-old-{work.name.rsplit('-', 1)[-1]}"
    try:
        yield work
        work.chmod(0o777 & ~_umask())
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(work, target)
        except OSError:
            if old.exists():
                os.replace(old, target)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(folder: Path, prefix: str, suffix: str) -> None:
    """Remove what a killed earlier write to the same target left (one writer per target at a time)."""
    if not folder.is_dir():
        return
    for path in folder.glob(f"{glob.escape(prefix)}{'?' * 8}{glob.escape(suffix)}"):  # tempfile names: 8 random
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with suppress(OSError):
                path.unlink()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def sha256_of(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
