"""Files uploaded through the app: checked, given safe names of our own, and written to a private folder.

An uploaded file's name is only ever shown (in messages and the import history); it is never
used as a path. The bytes are written as upload-N.SUFFIX inside a folder the caller owns.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

ALLOWED_SUFFIXES = (".xlsx", ".csv", ".parquet", ".xml")  # .xml: an ArchiMate exchange file
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
NAME_LENGTH = 120


class UploadError(ValueError):
    """An upload that cannot be accepted; the message names the file."""


def display_name(name: str) -> str:
    """Return a file name fit to show and record: last path part only, no control characters, bounded length."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"\s+", " ", base).strip(" .")
    return base[-NAME_LENGTH:] or "upload"


def stage_uploads(uploads: list[tuple[str, bytes]], folder: Path) -> tuple[list[Path], list[str]]:
    """Write each (name, bytes) to folder/upload-N.SUFFIX; return the paths and the names to show.

    Raise UploadError for a type other than .xlsx/.csv/.parquet or a file over MAX_UPLOAD_BYTES.
    """
    paths, names = [], []
    for number, (name, content) in enumerate(uploads, start=1):
        shown = display_name(name)
        suffix = Path(shown).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise UploadError(f"{shown}: only {', '.join(ALLOWED_SUFFIXES)} files can be imported")
        if len(content) > MAX_UPLOAD_BYTES:
            raise UploadError(
                f"{shown}: {len(content) / 2**20:,.0f} MB is over the {MAX_UPLOAD_BYTES // 2**20} MB limit"
            )
        path = folder / f"upload-{number}{suffix}"
        path.write_bytes(content)
        paths.append(path)
        names.append(shown)
    if len(set(names)) != len(names):
        raise UploadError("two uploaded files have the same name: rename one (the name identifies a file's versions)")
    return paths, names
