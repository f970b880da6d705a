"""A worksheet's real extent, found from its XML before any reader is asked to build it.

A workbook reader lays a sheet out as a dense grid from its first to its last cell, so one cell at
XFD1048576 (or a reference past Excel's own limits) in a 5 KB file asks for hundreds of gigabytes.
The `<dimension>` record cannot be trusted for this: it may be small, missing or wrong. So every
cell and row reference (`<c r="B7">`, `<row r="7">`) is read from the streamed XML with vectorised
byte operations (numpy), checked against Excel's limits, and the grid the reader would build is
bounded before it runs. Cells and rows written without a reference (allowed by the format) are
placed as a reader places them: one column after the cell before, one row after the row before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ROWS = 1_048_576  # Excel's limits: the last cell is XFD1048576
MAX_COLUMNS = 16_384
_WINDOW = 14  # bytes read after r=": at most 3 letters, 7 digits and the closing quote, with room to spare
_LT, _COLON, _QUOTE, _SPACE, _SLASH, _GT = (ord(c) for c in '<:" />')


class ExtentProblem(ValueError):
    """A cell reference past Excel's limits, or not a cell reference at all; the message says which."""


@dataclass
class Extent:
    """The smallest grid holding every cell of a sheet (1-based rows and columns; 0 when empty)."""

    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = 0

    @property
    def label(self) -> str:
        """Return the grid as a range, such as A1:XFD1048576."""
        first = f"{_letters(max(self.first_column, 1))}{max(self.first_row, 1)}"
        return f"{first}:{_letters(max(self.last_column, 1))}{max(self.last_row, 1)}"

    @property
    def cells(self) -> int:
        """Return the cells of the grid a reader builds (rows x columns)."""
        if not self.last_row:
            return 0
        return (self.last_row - self.first_row + 1) * (max(self.last_column - self.first_column, 0) + 1)


def _ends(byte: np.ndarray) -> np.ndarray:
    """Return where a tag's name ends: a space, > or /."""
    return (byte == _SPACE) | (byte == _GT) | (byte == _SLASH)


def _letters(column: int) -> str:
    text = ""
    while column:
        column, rem = divmod(column - 1, 26)
        text = chr(65 + rem) + text
    return text


class ExtentScan:
    """Feed a sheet's XML in chunks (`feed`), then read `extent`; raise ExtentProblem on a bad reference."""

    def __init__(self) -> None:
        self.extent = Extent()
        self._tail = b""
        self._unreferenced_rows = 0  # <row> tags without r=: each may add a row after the last
        self._widest_run = 0  # most cells without r= in one row: each adds a column after the last
        self._run = 0  # cells without r= so far in the row the last chunk ended in

    def feed(self, chunk: bytes, last: bool = False) -> None:
        """Scan one chunk; a tag cut at its end is carried into the next (all of it when `last`)."""
        data = self._tail + chunk
        cut = len(data) if last else max(data.rfind(b"<"), 0)  # every tag before the last < is whole
        self._tail = data[cut:]
        if cut:
            self._scan(cut, data)

    def _scan(self, n: int, data: bytes) -> None:
        a = np.frombuffer(data + b"\0" * _WINDOW, np.uint8)
        refs = np.flatnonzero((a[:n] == _SPACE) & (a[1 : n + 1] == ord("r")) & (a[2 : n + 2] == ord("=")))
        refs = refs[a[refs + 3] == _QUOTE]
        if self._plain(a, n, len(refs)):
            try:
                row, column = self._parse(a, refs + 4, letters=True, rows_allowed=True)
            except ExtentProblem:
                pass  # perhaps r="..." in a cell's text: look again, tag by tag
            else:
                self._include(row, column)
                return
        self._scan_tags(n, a)

    @staticmethod
    def _plain(a: np.ndarray, n: int, refs: int) -> bool:
        """Return whether the chunk has as many r= references as <c> and <row> tags (<x:c> included)."""
        lt = np.flatnonzero(a[:n] == _LT)
        lt = lt[(a[lt + 1] == ord("c")) | (a[lt + 1] == ord("r")) | (a[lt + 2] == _COLON) | (a[lt + 3] == _COLON)
                | (a[lt + 4] == _COLON)]  # fmt: skip
        tags = 0
        for skip in range(4):  # the name after a prefix of up to 3 characters and its colon (<x:c, <ss:row)
            at = lt + 1 + skip + (skip > 0)
            named = a[at - 1] == _COLON if skip else np.ones(len(lt), bool)
            first = a[at]
            cell = (first == ord("c")) & _ends(a[at + 1])
            row = (first == ord("r")) & (a[at + 1] == ord("o")) & (a[at + 2] == ord("w")) & _ends(a[at + 3])
            tags += int((named & (cell | row)).sum())
        return tags == refs

    def _scan_tags(self, n: int, a: np.ndarray) -> None:
        # every <c ...> and <row ...> tag, with or without a namespace prefix (<x:c ...>)
        lt = np.flatnonzero(a[:n] == _LT)
        after = a[lt + 1]
        prefixed = np.zeros(len(lt), bool)
        colon = np.flatnonzero(a[: n + 16] == _COLON)
        if len(colon):  # <x:c ...>: the name starts after the prefix's colon
            nxt = np.searchsorted(colon, lt)
            has = nxt < len(colon)
            near = np.zeros(len(lt), bool)
            near[has] = (colon[nxt[has]] - lt[has]) <= 12
            prefixed = near & (after != _SLASH)
        name = lt + 1
        name[prefixed] = colon[np.searchsorted(colon, lt[prefixed])] + 1
        first = a[name]
        stop_c = a[name + 1]
        is_cell = (first == ord("c")) & np.isin(stop_c, (_SPACE, _GT, _SLASH, 9, 10, 13))
        is_row = (
            (first == ord("r"))
            & (a[name + 1] == ord("o"))
            & (a[name + 2] == ord("w"))
            & np.isin(a[name + 3], (_SPACE, _GT, _SLASH, 9, 10, 13))
        )
        cells, rows = name[is_cell], name[is_row]
        # the r="..." attribute of each tag, if it has one before the tag closes
        refs = np.flatnonzero((a[:n] == _SPACE) & (a[1 : n + 1] == ord("r")) & (a[2 : n + 2] == ord("=")))
        refs = refs[a[refs + 3] == _QUOTE]
        gts = np.flatnonzero(a[: n + _WINDOW] == _GT)
        cell_ref = self._own_ref(cells, refs, gts)
        row_ref = self._own_ref(rows, refs, gts)
        self._count_unreferenced(cells, rows, cell_ref, row_ref)
        if (cell_ref >= 0).any():
            row, column = self._parse(a, cell_ref[cell_ref >= 0] + 4, letters=True)
            self._include(row, column)
        if (row_ref >= 0).any():
            row, _ = self._parse(a, row_ref[row_ref >= 0] + 4, letters=False)
            self._include(row, None)

    @staticmethod
    def _own_ref(tags: np.ndarray, refs: np.ndarray, gts: np.ndarray) -> np.ndarray:
        """Return the position of each tag's own ` r="` (before its closing >), or -1."""
        if not len(tags):
            return np.zeros(0, np.int64)
        nxt = np.searchsorted(refs, tags)
        close = gts[np.minimum(np.searchsorted(gts, tags), len(gts) - 1)] if len(gts) else tags
        found = np.full(len(tags), -1, np.int64)
        ok = nxt < len(refs)
        ok[ok] &= refs[nxt[ok]] < close[ok]
        found[ok] = refs[nxt[ok]]
        return found

    def _count_unreferenced(self, cells, rows, cell_ref, row_ref) -> None:
        self._unreferenced_rows += int((row_ref < 0).sum())
        loose = cells[cell_ref < 0]
        if not len(loose) and not len(rows):
            return
        segment = np.searchsorted(rows, loose)  # 0: the row the previous chunk ended in
        counts = np.bincount(segment, minlength=len(rows) + 1)
        counts[0] += self._run
        self._widest_run = max(self._widest_run, int(counts.max()))
        self._run = int(counts[-1])

    @staticmethod
    def _parse(
        a: np.ndarray, start: np.ndarray, letters: bool, rows_allowed: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the row and column (0 for a row tag) of each reference starting at `start`.

        One byte position at a time across all references (1-D gathers are what numpy does fast).
        """
        if letters:  # A-Z as 1-26, base 26: up to three letters (XFD) and one more counted, to refuse
            n_letters, column = ExtentScan._run(a, start, ord("A"), ord("Z"), 3, 26)
        else:
            n_letters, column = np.zeros(len(start), np.int64), np.zeros(len(start), np.int64)
        base = start + n_letters
        n_digits, row = ExtentScan._run(a, base, ord("0"), ord("9"), 7, 10, zero=ord("0"))  # up to 7 digits
        bad = (a[base + n_digits] != _QUOTE) | (n_digits < 1) | (n_digits > 7) | (a[base] == ord("0"))
        bad |= (n_letters > 3) | (row > MAX_ROWS) | (column > MAX_COLUMNS)
        if letters and not rows_allowed:
            bad |= n_letters < 1
        if bad.any():
            at = int(start[int(np.argmax(bad))])
            raw = bytes(a[at : at + _WINDOW]).split(b'"')[0].decode("latin-1")
            raise ExtentProblem(_why(raw if len(raw) < _WINDOW - 1 else raw + "…", letters))
        return row, column

    @staticmethod
    def _run(a: np.ndarray, start: np.ndarray, low: int, high: int, places: int, radix: int,
             zero: int | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Return, at each start, how many bytes from low to high follow (up to places + 1, so that one too many
        shows) and the number the first `places` of them spell in `radix` (byte - zero; zero = low - 1)."""
        zero = low - 1 if zero is None else zero
        count = np.zeros(len(start), np.int64)
        value = np.zeros(len(start), np.int64)
        running = np.ones(len(start), bool)
        for k in range(places + 1):
            byte = a[start + k]
            running &= (byte >= low) & (byte <= high)
            count += running
            if k < places:
                value = np.where(running, value * radix + byte - zero, value)
        return count, value

    def _include(self, row: np.ndarray, column: np.ndarray | None) -> None:
        e = self.extent
        if not len(row):
            return
        low, high = int(row.min()), int(row.max())
        e.first_row = min(e.first_row, low) if e.first_row else low
        e.last_row = max(e.last_row, high)
        if column is not None and column.any():
            left, right = int(column[column > 0].min()), int(column.max())
            e.first_column = min(e.first_column, left) if e.first_column else left
            e.last_column = max(e.last_column, right)

    def finish(self) -> Extent:
        """Return the extent, with rows and cells written without references placed after the last ones."""
        self.feed(b"", last=True)
        e = self.extent
        if self._unreferenced_rows:
            e.first_row = e.first_row or 1
            e.last_row = e.last_row + self._unreferenced_rows
        if self._widest_run:
            e.first_column = e.first_column or 1
            e.last_column = e.last_column + self._widest_run
            e.first_row, e.last_row = e.first_row or 1, max(e.last_row, 1)
        if e.last_row > MAX_ROWS or e.last_column > MAX_COLUMNS:
            raise ExtentProblem(
                f"rows or cells written without a reference reach {e.label}, past Excel's last cell "
                f"({_letters(MAX_COLUMNS)}{MAX_ROWS:,}): the file is damaged; open it in Excel or LibreOffice "
                "and save it again"
            )
        return e


def _why(raw: str, cell: bool) -> str:
    what = "cell" if cell else "row"
    return (
        f"the {what} reference '{raw}' is past Excel's last cell "
        f"({_letters(MAX_COLUMNS)}{MAX_ROWS:,}) or not a reference at all: the file was not written by a "
        "spreadsheet program, or is damaged; open it in Excel or LibreOffice and save it again"
    )
