"""Header mapping: find the header row, match its cells to schema fields, apply mapping profiles."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from estate.readers import HEADER_SEARCH_ROWS, RawSheet
from estate.schema import TABLES, TABLES_BY_NAME, Table, normalise_header

SHEET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "systems": (
        "systems",
        "system",
        "applications",
        "application",
        "apps",
        "inventory",
        "system inventory",
        "application inventory",
        "application register",
        "systems register",
        "register",
        "estate",
    ),
    "interfaces": (
        "interfaces",
        "interface",
        "dependencies",
        "integrations",
        "data flows",
        "flows",
        "interface register",
        "connections",
    ),
    "costs": ("costs", "cost", "cost lines", "spend", "finance", "costs by year", "run costs"),
}
# Sheets that workbooks commonly carry beside the data; not imported and not reported.
QUIET_SHEETS = frozenset(
    normalise_header(s)
    for s in (
        "readme",
        "data dictionary",
        "notes",
        "instructions",
        "lists",
        "lookups",
        "guidance",
        "about",
        "cover",
        "estate sync",
    )  # estate sync: a synced source's own record (estate.sync)
)

_THOUSAND = r"(?:'?000s?|k|thousands?)\b"
_MILLION = r"(?:m|mn|millions?)\b"
_BILLION = r"(?:bn|billions?)\b"
_UNIT_MULTIPLIERS = (  # (pattern, multiplier, currency): a money header's unit; currency None = pounds
    (re.compile(rf"£\s*{_THOUSAND}|\bgbp\s*{_THOUSAND}", re.I), 1e3, None),
    (re.compile(rf"£\s*{_MILLION}|\bgbp\s*{_MILLION}", re.I), 1e6, None),
    (re.compile(rf"£\s*{_BILLION}|\bgbp\s*{_BILLION}", re.I), 1e9, None),
    (re.compile(rf"(?:us)?\$\s*{_THOUSAND}|\busd\s*{_THOUSAND}", re.I), 1e3, "USD"),
    (re.compile(rf"(?:us)?\$\s*{_MILLION}|\busd\s*{_MILLION}", re.I), 1e6, "USD"),
    (re.compile(rf"(?:us)?\$\s*{_BILLION}|\busd\s*{_BILLION}", re.I), 1e9, "USD"),
    (re.compile(rf"€\s*{_THOUSAND}|\beur\s*{_THOUSAND}", re.I), 1e3, "EUR"),
    (re.compile(rf"€\s*{_MILLION}|\beur\s*{_MILLION}", re.I), 1e6, "EUR"),
    (re.compile(r"\(\s*(?:us\$|\$|usd|us dollars?)\s*\)", re.I), 1.0, "USD"),
    (re.compile(r"\(\s*(?:€|eur|euros?)\s*\)", re.I), 1.0, "EUR"),
    (re.compile(r"\(\s*(?:£|gbp|pounds?)\s*\)", re.I), 1.0, None),
    (re.compile(r"\(\s*(?:in\s+)?(?:'?000s?|k|thousands?)\s*\)", re.I), 1e3, None),
    (re.compile(r"\(\s*(?:in\s+)?(?:m|mn|millions?)\s*\)", re.I), 1e6, None),
    (re.compile(r"\(\s*(?:in\s+)?(?:bn|billions?)\s*\)", re.I), 1e9, None),
)
# What is left in brackets after a known unit is removed: a unit estate does not understand (an error on money)
_UNKNOWN_UNIT = re.compile(r"\(\s*([^)\s][^)]{0,11}?)\s*\)")


class ProfileError(ValueError):
    """A mapping profile that is not valid TOML or names unknown tables or fields."""


SECTIONS = (
    "sheets", "columns", "header_rows", "currency", "sheet_name", "constants", "units", "filters", "values",
    "split", "links", "ignore", "spending", "api",
)  # fmt: skip
LINK_KEYS = ("ends", "outside", "direction", "reverse")
NOT_A_FIELD = "extra"  # [columns] "Platform" = "extra": a column kept in `extra`, never matched to a field


@dataclass(frozen=True)
class LinkRules:
    """How a profile's interface rows name their ends and which way they point ([links])."""

    ends: str = "id"  # id | name: the source and target columns hold system IDs, or system names
    outside: str = "placeholder"  # placeholder | skip: a link to something not in the inventory
    direction: str = ""  # header (or letter) of a column whose value decides the direction
    reverse: tuple[str, ...] = ()  # values of that column meaning "the source column is the consumer"

    @property
    def default(self) -> bool:
        """Return True when the rules change nothing."""
        return self == LinkRules()


@dataclass
class MappingProfile:
    """User-supplied mapping: sheet names per table and header -> field per table."""

    sheets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> its sheet(s), stacked in order
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    header_rows: dict[str, int] = field(default_factory=dict)
    source: str = ""
    rates: dict[str, float] = field(default_factory=dict)  # [currency] USD = 0.79: pounds per unit, recorded
    sheet_fields: dict[str, str] = field(default_factory=dict)  # [sheet_name] systems = "department"
    constants: dict[str, dict[str, str]] = field(default_factory=dict)  # [constants.systems] department = "NSF"
    units: dict[str, dict[str, str]] = field(default_factory=dict)  # [units.systems] annual_cost_gbp = "$M"
    filters: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # table -> header -> kept values
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # table -> field -> {text: value}
    split: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> field -> separator
    links: LinkRules = field(default_factory=LinkRules)
    ignore: tuple[str, ...] = ()  # sheet or file-name patterns left out on purpose ([ignore] sheets = [...])
    also: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # table -> header -> further fields
    text: str = ""  # the TOML as written, kept with each import
    financial_year: str | None = None  # [spending] financial_year = "2021-22": the year of a header without one
    api: dict = field(default_factory=dict)  # [api]: what a live source's API field fills (estate.sync reads it)

    def __post_init__(self) -> None:
        self.sheets = {t: (names,) if isinstance(names, str) else tuple(names) for t, names in self.sheets.items()}

    @classmethod
    def load(cls, path: Path) -> MappingProfile:
        """Return the profile read from a TOML file; raise ProfileError naming any problem."""
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{path}: cannot read the mapping profile: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{path}: not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per nested array or table: a hostile file nests thousands
            raise ProfileError(f"{path}: not a mapping profile: arrays or tables nested too deeply") from None
        return replace(cls.from_dict(data, str(path)), text=text)

    @classmethod
    def from_dict(cls, data: dict, source: str = "") -> MappingProfile:
        """Return a profile from its parsed TOML form, checking every table and field name."""
        unknown = set(data) - set(SECTIONS)
        if unknown:
            raise ProfileError(f"{source}: unknown section(s) {sorted(unknown)}; use {', '.join(SECTIONS)}")
        rates = {}
        for code, rate in dict(data.get("currency", {})).items():
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
                raise ProfileError(f"{source}: currency.{code} must be pounds per {code} (a number above 0), "
                                   f"not {rate!r}")  # fmt: skip
            rates[str(code).upper()] = float(rate)
        for section in SECTIONS:
            if section in data and not isinstance(data[section], dict):
                raise ProfileError(f"{source}: [{section}] must be a table of table names, not {data[section]!r}")
        sheets = {}
        for table_name, names in dict(data.get("sheets", {})).items():
            listed = [names] if isinstance(names, str) else names
            if not isinstance(listed, list) or not listed or not all(isinstance(n, str) and n.strip() for n in listed):
                raise ProfileError(
                    f"{source}: sheets.{table_name} must be a sheet name or a list of sheet names (stacked in "
                    f"order), not {names!r}"
                )
            sheets[table_name] = tuple(listed)
        header_rows = dict(data.get("header_rows", {}))
        columns = {}
        also_fields: dict[str, dict[str, tuple[str, ...]]] = {}
        sheet_fields = dict(data.get("sheet_name", {}))
        constants = {t: dict(v) for t, v in dict(data.get("constants", {})).items()}
        units = {t: dict(v) for t, v in dict(data.get("units", {})).items()}
        filters = _filters(data.get("filters", {}), source)
        recodings = _recodings(data.get("values", {}), source)
        split = _splits(data.get("split", {}), source)
        named = (*sheets, *header_rows, *data.get("columns", {}), *sheet_fields, *constants, *units, *filters)
        for table_name in (*named, *recodings, *split):
            if table_name not in TABLES_BY_NAME:
                raise ProfileError(f"{source}: unknown table '{table_name}'; use one of {', '.join(TABLES_BY_NAME)}")
        for table_name, mapping in data.get("columns", {}).items():
            table = TABLES_BY_NAME[table_name]
            known = {f.name for f in table.fields}
            if not isinstance(mapping, dict):
                raise ProfileError(f"{source}: columns.{table_name} must be a table of header = field")
            for header, target in mapping.items():
                targets = target if isinstance(target, list) else [target]
                if not targets or not all(isinstance(t, str) for t in targets):
                    raise ProfileError(f"{source}: columns.{table_name}.{header!r} must name a field (text) or a "
                                       f"list of fields, not {target!r}")  # fmt: skip
                for name in targets:
                    if name not in known and name != NOT_A_FIELD:
                        raise ProfileError(
                            f"{source}: column '{header}' maps to unknown field '{name}' of {table_name}; "
                            f'fields are {", ".join(sorted(known))} (or "{NOT_A_FIELD}": kept, never matched)'
                        )
            columns[table_name] = {normalise_header(h): t[0] if isinstance(t, list) else t for h, t in mapping.items()}
            also = {normalise_header(h): tuple(t[1:]) for h, t in mapping.items() if isinstance(t, list) and t[1:]}
            if also:
                also_fields[table_name] = also
        for table_name, row in header_rows.items():
            if isinstance(row, bool) or not isinstance(row, int) or row < 0:
                raise ProfileError(
                    f"{source}: header_rows.{table_name} must be a row number (1 or more), or 0 for a sheet with no "
                    'header row (then [columns] maps column letters: "A" = "system_id")'
                )
        for table_name, target in sheet_fields.items():
            if not isinstance(target, str) or target not in {f.name for f in TABLES_BY_NAME[table_name].fields}:
                raise ProfileError(
                    f"{source}: sheet_name.{table_name} must name a field of {table_name}, not {target!r}"
                )
        for table_name, values in constants.items():
            known = {f.name for f in TABLES_BY_NAME[table_name].fields}
            for name, value in values.items():
                if name not in known or not isinstance(value, str | int | float) or isinstance(value, bool):
                    raise ProfileError(
                        f"{source}: constants.{table_name}.{name} must set a field of {table_name} to one value"
                    )
            constants[table_name] = {k: str(v) for k, v in values.items()}
        for table_name, values in units.items():
            for name, unit in values.items():
                f = (
                    TABLES_BY_NAME[table_name].field(name)
                    if name in {x.name for x in TABLES_BY_NAME[table_name].fields}
                    else None
                )
                if f is None or f.type.value != "money" or not isinstance(unit, str):
                    raise ProfileError(f"{source}: units.{table_name}.{name} must give a money field's unit as text")
                if money_unit(f"x ({unit})")[1:] == (1.0, None) and normalise_header(unit) not in ("gbp", ""):
                    raise ProfileError(
                        f"{source}: units.{table_name}.{name} = {unit!r} is a unit estate does not understand: "
                        "use £, £k, £m, $, $k, $M, USD, EUR, thousands or millions"
                    )
        return cls(
            sheets, columns, header_rows, source, rates=rates, sheet_fields=sheet_fields, constants=constants,
            units=units, filters=filters, values=recodings, split=split, links=_links(data.get("links", {}), source),
            ignore=_ignored(data.get("ignore", {}), source), also=also_fields,
            financial_year=_spending_year(data.get("spending", {}), source), api=dict(data.get("api", {})),
        )  # fmt: skip

    def with_financial_year(self, year: str) -> MappingProfile:
        """Return the profile stating the financial year of spending columns without one (--financial-year)."""
        stated = _spending_year({"financial_year": year}, "--financial-year")
        if self.financial_year and self.financial_year != stated:
            raise ProfileError(f"--financial-year {stated} contradicts the profile's [spending] financial_year "
                               f"{self.financial_year}: give one")  # fmt: skip
        text = self.text if self.financial_year else f'{self.text}\n[spending]\nfinancial_year = "{stated}"\n'
        return replace(self, financial_year=stated, text=text.lstrip("\n"))

    def claimed(self, table_name: str) -> set[str]:
        """Return the normalised headers the profile reads for rows, not fields (filters, direction)."""
        names = {normalise_header(h) for h in self.filters.get(table_name, {})}
        if table_name == "interfaces" and self.links.direction:
            names.add(normalise_header(self.links.direction))
        return names - set(self.columns.get(table_name, {}))


def _spending_year(data: object, source: str) -> str | None:
    """Return [spending] financial_year as 2021-22 (also read as '2021/22' or 'FY2021'), or None."""
    from estate.cleaning import CellProblem, parse_financial_year

    if not isinstance(data, dict) or set(data) - {"financial_year"}:
        raise ProfileError(f'{source}: [spending] takes financial_year = "2021-22" only')
    year = data.get("financial_year")
    if year is None:
        return None
    try:
        return parse_financial_year(str(year))
    except CellProblem:
        raise ProfileError(
            f"{source}: [spending] financial_year = {year!r} is not a financial year like 2021-22"
        ) from None


def _texts(value: object) -> tuple[str, ...] | None:
    """Return a value or list of values as texts, or None when it is neither."""
    listed = value if isinstance(value, list) else [value]
    if not listed or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in listed):
        return None
    return tuple(str(v) for v in listed)


def _filters(data: object, source: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """Parse [filters.TABLE] "Header" = ["kept value", ...]: rows whose cell is none of them are left out."""
    result = {}
    for table_name, columns in dict(data).items():
        if not isinstance(columns, dict) or not columns:
            raise ProfileError(f"{source}: filters.{table_name} must be a table of header = [values kept]")
        kept = {}
        for header, wanted in columns.items():
            texts = _texts(wanted)
            if texts is None:
                raise ProfileError(f"{source}: filters.{table_name}.{header} must be a value or a list of values "
                                   f"to keep, not {wanted!r}")  # fmt: skip
            kept[header] = tuple(normalise_header(t) for t in texts)
        result[table_name] = kept
    return result


def _recodings(data: object, source: str) -> dict[str, dict[str, dict[str, str]]]:
    """Parse [values.TABLE.FIELD] "their value" = our value (e.g. "1 - most critical" = 5)."""
    result: dict[str, dict[str, dict[str, str]]] = {}
    for table_name, fields in dict(data).items():
        if table_name not in TABLES_BY_NAME or not isinstance(fields, dict):
            raise ProfileError(f"{source}: values.{table_name} must be a table name with [values.TABLE.FIELD] "
                               "tables beneath it")  # fmt: skip
        known = {f.name for f in TABLES_BY_NAME[table_name].fields}
        for name, mapping in fields.items():
            if name not in known or not isinstance(mapping, dict):
                raise ProfileError(f"{source}: values.{table_name}.{name} must be a field of {table_name} with a "
                                   'table of "their value" = value')  # fmt: skip
            codes = {}
            for theirs, ours in mapping.items():
                texts = _texts(ours)
                if texts is None or len(texts) != 1:
                    raise ProfileError(f"{source}: values.{table_name}.{name}.{theirs!r} must be one value, "
                                       f"not {ours!r}")  # fmt: skip
                codes[normalise_header(theirs)] = texts[0]
            result.setdefault(table_name, {})[name] = codes
    return result


def _splits(data: object, source: str) -> dict[str, dict[str, str]]:
    """Parse [split.TABLE] FIELD = "separator": one row per value of a multi-valued cell."""
    result = {}
    for table_name, fields in dict(data).items():
        if table_name not in TABLES_BY_NAME or not isinstance(fields, dict):
            raise ProfileError(f'{source}: split.{table_name} must be a table of field = "separator"')
        known = {f.name for f in TABLES_BY_NAME[table_name].fields}
        for name, separator in fields.items():
            if name not in known or not isinstance(separator, str) or not separator:
                raise ProfileError(f"{source}: split.{table_name}.{name} must give a field of {table_name} a "
                                   f"separator (text such as \";\"), not {separator!r}")  # fmt: skip
        result[table_name] = dict(fields)
    return result


def _links(data: object, source: str) -> LinkRules:
    """Parse [links]: ends = "id" | "name"; outside = "placeholder" | "skip"; direction; reverse."""
    data = dict(data)
    unknown = set(data) - set(LINK_KEYS)
    if unknown:
        raise ProfileError(f"{source}: unknown key(s) {sorted(unknown)} in [links]; use {', '.join(LINK_KEYS)}")
    ends, outside = data.get("ends", "id"), data.get("outside", "placeholder")
    if ends not in ("id", "name"):
        raise ProfileError(f'{source}: links.ends must be "id" or "name", not {ends!r}')
    if outside not in ("placeholder", "skip"):
        raise ProfileError(f'{source}: links.outside must be "placeholder" or "skip", not {outside!r}')
    direction = data.get("direction", "")
    reverse = _texts(data.get("reverse", []) or [""])
    if not isinstance(direction, str) or reverse is None or (bool(direction) != bool(data.get("reverse"))):
        raise ProfileError(f"{source}: links.direction must name a column (text) and links.reverse list the values "
                           "that mean the link points the other way; give both or neither")  # fmt: skip
    return LinkRules(ends, outside, direction, tuple(normalise_header(r) for r in reverse if r))


def _ignored(data: object, source: str) -> tuple[str, ...]:
    """Parse [ignore] sheets = ["pattern", ...]: sheets or csv file names left out on purpose."""
    data = dict(data)
    if not data:
        return ()
    patterns = _texts(data.get("sheets")) if set(data) == {"sheets"} else None
    if patterns is None:
        raise ProfileError(f'{source}: [ignore] takes sheets = ["name or pattern", ...] only')
    return patterns


def sheet_matches(sheet_name: str, wanted: str) -> bool:
    """Return True when a sheet (or csv file stem) matches a profile's name or pattern ('*-elements')."""
    if "*" in wanted and wanted != "*":
        return fnmatch.fnmatchcase(sheet_name.casefold(), wanted.casefold())
    return normalise_header(wanted) == normalise_header(sheet_name)


@dataclass(frozen=True)
class ColumnMapping:
    """How one spreadsheet column was read."""

    letter: str
    header: str
    field: str | None  # None: not a schema field, kept in `extra`
    how: str  # profile | synonym | unknown
    multiplier: float = 1.0
    currency: str | None = None  # a money column's currency other than pounds (USD, EUR)
    unknown_unit: str = ""  # a bracketed unit in a money header that estate does not understand


@dataclass
class SheetLayout:
    """Where a sheet's header is and what each of its columns means."""

    table: Table
    header_index: int  # position of the header in RawSheet.cells
    header_row: int  # the spreadsheet's row number of the header
    columns: list[ColumnMapping]

    def mapped(self) -> dict[str, ColumnMapping]:
        """Return field name -> column for the columns that map to a field (first wins)."""
        result: dict[str, ColumnMapping] = {}
        for column in self.columns:
            if column.field and column.field not in result:
                result[column.field] = column
        return result


def _synonym_index(table: Table) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in table.fields:
        for key in f.matching_keys():
            index.setdefault(key, f.name)
    return index


SYNONYMS: dict[str, dict[str, str]] = {t.name: _synonym_index(t) for t in TABLES}
_SHEET_INDEX = {normalise_header(s): t for t, names in SHEET_SYNONYMS.items() for s in names}


def table_for_sheet(sheet_name: str, profile: MappingProfile) -> str | None:
    """Return the table a sheet holds, by profile or by name (case- and punctuation-insensitive).

    A profile's sheet name "*" takes every sheet no other table claims (one sheet per agency, stacked).
    """
    for table_name, wanted in profile.sheets.items():
        if any(sheet_matches(sheet_name, w) for w in wanted):
            return table_name
    by_name = _SHEET_INDEX.get(normalise_header(sheet_name))
    if by_name is None and normalise_header(sheet_name) not in QUIET_SHEETS:
        for table_name, wanted in profile.sheets.items():
            if "*" in wanted:
                return table_name
    return by_name


def table_for_csv(stem: str, sheet: RawSheet, profile: MappingProfile) -> str:
    """Return the table a csv file holds, from the profile or its name, else which table its headers fit best."""
    for table_name, wanted in profile.sheets.items():
        if any(w != "*" and sheet_matches(stem, w) for w in wanted):
            return table_name
    key = normalise_header(stem)
    for word, table_name in (
        ("interface", "interfaces"),
        ("dependenc", "interfaces"),
        ("integration", "interfaces"),
        ("cost", "costs"),
        ("spend", "costs"),
        ("system", "systems"),
        ("application", "systems"),
        ("inventory", "systems"),
    ):
        if word in key:
            return table_name
    scores = {t.name: _best_header(sheet, t, profile)[1] for t in TABLES}
    return max(scores, key=lambda name: scores[name])


def table_for_single_sheet(stem: str, sheet: RawSheet, profile: MappingProfile) -> str:
    """Return the table a one-sheet workbook's sheet of an unknown name ("Page 1") holds.

    The profile's patterns on the file name first; else the table whose headers it matches best, the Systems
    sheet unless another table matches strictly better (a file's name is not trusted: "IT costs.xlsx" is
    often an inventory with a cost column).
    """
    for table_name, wanted in profile.sheets.items():
        if any(w != "*" and sheet_matches(stem, w) for w in wanted):
            return table_name
    scores = {t.name: _best_header(sheet, t, profile)[1] for t in TABLES}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > scores["systems"] else "systems"


def unit_multiplier(header: str) -> tuple[str, float]:
    """Return the header without a money unit such as '£k' or '£m', and the unit's multiplier."""
    stripped, multiplier, _ = money_unit(header)
    return stripped, multiplier


def money_unit(header: str) -> tuple[str, float, str | None]:
    """Return the header without its money units, the multiplier and the currency (None = pounds).

    Several units combine: 'Spending ($M)' is millions of US dollars; '(USD) (thousands)' thousands of them.
    """
    multiplier, currency = 1.0, None
    for pattern, factor, unit_currency in _UNIT_MULTIPLIERS:
        if pattern.search(header):
            header = pattern.sub(" ", header)
            multiplier *= factor
            currency = unit_currency or currency
    return re.sub(r"\(\s*\)", " ", header), multiplier, currency


def unknown_unit(header: str) -> str:
    """Return a bracketed token left in a money header once known units are removed ('' when none)."""
    stripped, _, _ = money_unit(header)
    match = _UNKNOWN_UNIT.search(stripped)
    return match.group(1) if match else ""


def match_header(header: str, table: Table, profile: MappingProfile) -> tuple[str | None, str, float]:
    """Return (field, how, multiplier) for one header cell of a sheet of `table`."""
    by_profile = profile.columns.get(table.name, {})
    key = normalise_header(header)
    if key in by_profile:
        if by_profile[key] == NOT_A_FIELD:
            return None, "profile", 1.0
        return by_profile[key], "profile", unit_multiplier(header)[1]
    if key in profile.claimed(table.name):  # a column the profile reads to filter or direct rows
        return None, "profile", 1.0
    stripped, multiplier = unit_multiplier(header)
    synonyms = SYNONYMS[table.name]
    undated = re.sub(r"(?i)\bfy\s*'?\d{2,4}\b|\b\d{4}\s*[-/]\s*\d{2,4}\b", " ", stripped)  # 'Cost FY2021'
    for candidate in (stripped, re.sub(r"\([^)]*\)", " ", stripped), undated):
        field_name = synonyms.get(normalise_header(candidate))
        if field_name:
            if multiplier != 1.0 and table.field(field_name).type.value != "money":
                multiplier = 1.0
            return field_name, "synonym", multiplier
    return None, "unknown", 1.0


def _row_texts(sheet: RawSheet, index: int) -> list[tuple[str, str]]:
    return [(letter, sheet.cells.column(letter)[index].as_py()) for letter in sheet.cells.column_names]


def _best_header(sheet: RawSheet, table: Table, profile: MappingProfile) -> tuple[int, int]:
    """Return (position, score): the row among the first ten that matches most distinct fields."""
    best, best_score = -1, 0
    limit = min(HEADER_SEARCH_ROWS, sheet.cells.num_rows)
    for index in range(limit):
        fields = {
            match_header(text, table, profile)[0] for _, text in _row_texts(sheet, index) if text and text.strip()
        }
        score = len(fields - {None})
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def layout_sheet(sheet: RawSheet, table: Table, profile: MappingProfile) -> SheetLayout | None:
    """Return the sheet's header position and column mapping, or None when no header is recognisable."""
    wanted_row = profile.header_rows.get(table.name)
    if wanted_row == 0:  # no header row: the profile maps column letters
        return _letter_layout(sheet, table, profile)
    if wanted_row is not None:
        index = sheet.row_numbers.index(wanted_row) if wanted_row in sheet.row_numbers else -1
    else:
        index, _ = _best_header(sheet, table, profile)
    if index < 0:
        # no header recognised: a profile that also maps column letters reads the sheet as headerless, if the
        # sheet has every column it maps (an export with or without its header row, one profile for both)
        letters = {k for k in profile.columns.get(table.name, {}) if re.fullmatch(r"[a-z]{1,2}", k)}  # A..ZZ
        have = {normalise_header(c) for c in sheet.cells.column_names}
        if letters and letters <= have:
            return _letter_layout(sheet, table, profile)
        return None
    columns = []
    for letter, text in _row_texts(sheet, index):
        header = (text or "").strip()
        if not header:
            columns.append(ColumnMapping(letter, f"Column {letter}", None, "unknown"))
            continue
        field_name, how, multiplier = match_header(header, table, profile)
        currency, unknown = None, ""
        if field_name and table.field(field_name).type.value == "money":
            _, _, currency = money_unit(header)
            unknown = unknown_unit(header)
        columns.append(ColumnMapping(letter, header, field_name, how, multiplier, currency, unknown))
        columns += _further_fields(columns[-1], table, profile)
    explicit = {c.field for c in columns if c.field and c.how == "profile"}
    # a field the profile maps explicitly wins over a header that only matches it by synonym (ServiceNow's form
    # has both 'Business Unit' and 'Department'): the other column is kept in extra, never a duplicate
    columns = [replace(c, field=None, how="unknown") if c.how == "synonym" and c.field in explicit else c
               for c in columns]  # fmt: skip
    if not any(c.field for c in columns):
        return None
    return SheetLayout(table, index, sheet.row_numbers[index], columns)


def _further_fields(column: ColumnMapping, table: Table, profile: MappingProfile) -> list[ColumnMapping]:
    """Return the same column again for each further field a profile maps it to ("A" = ["system_id", "name"])."""
    key = normalise_header(column.header) if column.header != f"Column {column.letter}" else column.letter.lower()
    further = profile.also.get(table.name, {}).get(key, ())
    return [replace(column, field=name, how="profile") for name in further]


def _letter_layout(sheet: RawSheet, table: Table, profile: MappingProfile) -> SheetLayout | None:
    """Return the layout of a sheet with no header row: [columns] maps letters ("A" = "system_id")."""
    by_letter = profile.columns.get(table.name, {})
    columns = []
    for letter in sheet.cells.column_names:
        field_name = by_letter.get(normalise_header(letter))
        columns.append(ColumnMapping(letter, f"Column {letter}", field_name, "profile" if field_name else "unknown"))
        columns += _further_fields(columns[-1], table, profile)
    if not any(c.field for c in columns):
        return None
    return SheetLayout(table, -1, 0, columns)


PROFILES = Path(__file__).with_name("profiles")


def builtin_profile_names() -> list[str]:
    """Return the names of the built-in profiles (estate/profiles/NAME.toml), sorted."""
    return sorted(path.stem for path in PROFILES.glob("*.toml"))


def builtin_profiles() -> dict[str, str]:
    """Return the built-in profiles: name -> their first comment line (what they read)."""
    result = {}
    for path in sorted(PROFILES.glob("*.toml")):
        first = next((line[1:].strip() for line in path.read_text(encoding="utf-8").splitlines()
                      if line.startswith("#")), "")  # fmt: skip
        result[path.stem] = first
    return result


def builtin_profile(name: str) -> MappingProfile:
    """Return a built-in profile by name; raise ProfileError naming the ones there are."""
    path = PROFILES / f"{name}.toml"
    if not re.fullmatch(r"[a-z0-9_-]+", name) or not path.exists():
        raise ProfileError(f"no built-in profile '{name}': use one of {', '.join(builtin_profiles())}")
    return MappingProfile.load(path)
