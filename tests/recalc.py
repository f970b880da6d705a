"""Recalculate a workbook with LibreOffice headless (formulas evaluated by a spreadsheet engine, not by us)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def libreoffice() -> str | None:
    """Return the LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(workbook: Path, out_dir: Path, timeout: int = 300) -> Path:
    """Return a copy of `workbook` in `out_dir` after LibreOffice has recalculated every formula."""
    executable = libreoffice()
    if executable is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE)  # always recalculate xlsx on load
        subprocess.run(
            [executable, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "xlsx", "--outdir", str(out_dir), str(workbook)],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
    return out_dir / workbook.name
