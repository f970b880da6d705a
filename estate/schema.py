"""The one declaration of every inventory field.

Validation, header matching, the template workbook and docs/inputs.md's data
dictionary are all derived from the tables declared here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    """How a raw cell is cleaned and which DuckDB type stores it."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    YEAR = "year"
    CRITICALITY = "criticality"
    CHOICE = "choice"
    FINANCIAL_YEAR = "financial_year"


DUCKDB_TYPES: dict[FieldType, str] = {
    FieldType.TEXT: "VARCHAR",
    FieldType.INTEGER: "BIGINT",
    FieldType.NUMBER: "DOUBLE",
    FieldType.MONEY: "DOUBLE",
    FieldType.DATE: "DATE",
    FieldType.YEAR: "INTEGER",
    FieldType.CRITICALITY: "TINYINT",
    FieldType.CHOICE: "VARCHAR",
    FieldType.FINANCIAL_YEAR: "VARCHAR",
}


@dataclass(frozen=True)
class Field:
    """One canonical column: its name, type, synonyms and documentation."""

    name: str
    type: FieldType
    description: str
    header: str
    required: bool = False
    unit: str = ""
    synonyms: tuple[str, ...] = ()
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stored: bool = True  # False: accepted on input but stored elsewhere

    @property
    def duckdb_type(self) -> str:
        """Return the DuckDB column type that stores this field."""
        return DUCKDB_TYPES[self.type]

    def matching_keys(self) -> set[str]:
        """Return the normalised header spellings that map to this field."""
        return {normalise_header(s) for s in (self.name, self.header, *self.synonyms)}


@dataclass(frozen=True)
class Table:
    """One canonical table (a sheet of the canonical workbook)."""

    name: str
    sheet: str
    description: str
    fields: tuple[Field, ...]
    key: str | None = None

    def field(self, name: str) -> Field:
        """Return the field called `name`."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        """Return the fields that are columns of this table in the store."""
        return tuple(f for f in self.fields if f.stored)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(text: str) -> str:
    """Return a header reduced to lowercase letters and digits ('£' and '&' kept as words)."""
    text = str(text).lower().replace("&", " and ").replace("£", " gbp ")
    return _NON_ALNUM.sub("", text)


PLATFORMS: dict[str, tuple[str, ...]] = {
    "mainframe": (
        "mainframe",
        "ibm z",
        "z/os",
        "zos",
        "ibm z/os",
        "ibm mainframe",
        "icl",
        "vme",
        "unisys",
        "mvs",
        "os/390",
        "z series",
        "zseries",
    ),
    "on_premises": (
        "on premises",
        "on premise",
        "on prem",
        "onprem",
        "on-prem",
        "data centre",
        "datacentre",
        "data center",
        "in house",
        "in-house",
        "physical",
        "server room",
        "midrange",
        "as/400",
        "iseries",
        "local",
        "hybrid",
    ),
    "private_cloud": (
        "private cloud",
        "crown hosting",
        "government cloud",
        "gov cloud",
        "vmware cloud",
        "third party hosted",
        "third-party hosted",
        "hosted by a third party",
        "supplier hosted",
        "managed hosting",
        "outsourced",
    ),
    "public_cloud": (
        "public cloud",
        "cloud",
        "paas",
        "iaas",
        "aws",
        "amazon web services",
        "azure",
        "microsoft azure",
        "gcp",
        "google cloud",
        "oracle cloud",
        "cloud (aws)",
        "cloud (azure)",
        "cloud (gcp)",
    ),
    "saas": ("saas", "software as a service", "hosted service", "subscription service"),
}

INTERFACE_KINDS: dict[str, tuple[str, ...]] = {
    "api": ("api", "rest", "rest api", "soap", "web service", "webservice", "http", "graphql"),
    "file": ("file", "file transfer", "sftp", "ftp", "csv", "flat file", "xml file", "csv file"),
    "batch": ("batch", "batch job", "etl", "overnight", "overnight batch", "scheduled job"),
    "database_link": ("database link", "db link", "dblink", "database", "direct db", "odbc", "jdbc", "shared database"),
    "manual": ("manual", "email", "e-mail", "spreadsheet", "paper", "rekeying", "re-keying", "phone"),
    "message_queue": ("message queue", "mq", "queue", "ibm mq", "kafka", "jms", "esb", "messaging", "event"),
}

FREQUENCIES: dict[str, tuple[str, ...]] = {
    "realtime": ("realtime", "real time", "real-time", "online", "continuous", "instant", "on event", "streaming"),
    "daily": ("daily", "nightly", "every day", "each day", "overnight"),
    "weekly": ("weekly", "every week"),
    "monthly": ("monthly", "every month", "month end", "month-end"),
    "adhoc": ("adhoc", "ad hoc", "ad-hoc", "on demand", "as needed", "as required"),
}

COST_CATEGORIES: dict[str, tuple[str, ...]] = {
    "licence": ("licence", "license", "licences", "licenses", "licensing", "software licence", "subscription"),
    "support_contract": (
        "support_contract",
        "support contract",
        "support",
        "maintenance",
        "support and maintenance",
        "vendor support",
        "managed service",
    ),
    "hosting": ("hosting", "infrastructure", "data centre", "datacentre", "cloud", "hardware", "compute"),
    "staff": ("staff", "people", "salaries", "salary", "in-house staff", "fte", "contractors", "personnel"),
    "other": ("other", "misc", "miscellaneous", "sundry"),
    "unspecified": ("unspecified", "total", "annual cost", "all"),
}

CDDO_RISK: dict[str, tuple[str, ...]] = {
    "red": ("red", "r"),
    "amber": ("amber", "a", "amber/red", "red/amber"),
    "green": ("green", "g", "amber/green", "green/amber"),
}

CRITICALITY_WORDS: dict[int, tuple[str, ...]] = {
    1: ("very low", "minimal", "negligible", "lowest"),
    2: ("low", "minor"),
    3: ("medium", "moderate", "med", "normal"),
    4: ("high", "major", "important"),
    5: ("critical", "very high", "business critical", "mission critical", "essential"),
}

F = FieldType

# The CDDO Legacy IT Risk Assessment Framework's criteria, when a department has scored them itself
# (guidance of September 2023, updated March 2025): likelihood L1-L7 on 1-6, impact C1-C6 on 1-5.
CDDO_LIKELIHOOD = (
    ("l1", "end of life or end of support"), ("l2", "expired vendor contract"), ("l3", "lack of knowledge and skills"),
    ("l4", "inability to meet business needs"), ("l5", "unsuitable physical environment"),
    ("l6", "known security vulnerabilities"), ("l7", "historically recorded issues"),
)  # fmt: skip
CDDO_IMPACT = (
    ("c1", "national security, health or safety"), ("c2", "reputational"), ("c3", "direct financial"),
    ("c4", "external stakeholders"), ("c5", "operational hours lost"), ("c6", "impact on other systems"),
)  # fmt: skip
CDDO_SCORE_FIELDS = tuple(
    Field(
        f"cddo_{code}",
        F.INTEGER,
        f"Department's own CDDO legacy risk score for {criterion} "
        f"({'likelihood, 1-6' if code[0] == 'l' else 'impact, 1-5'}).",
        f"CDDO {code.upper()} score",
        unit="score",
        synonyms=(f"{code}", f"{code} score", f"cddo {code}", f"{criterion}", f"{criterion} score"),
    )
    for code, criterion in (*CDDO_LIKELIHOOD, *CDDO_IMPACT)
)

SYSTEMS = Table(
    name="systems",
    sheet="Systems",
    key="system_id",
    description="One row per system or application in the inventory.",
    fields=(
        Field(
            "system_id",
            F.TEXT,
            "Unique identifier of the system within the estate.",
            "System ID",
            True,
            synonyms=(
                "id",
                "system id",
                "system ref",
                "system reference",
                "app id",
                "application id",
                "asset id",
                "service id",
                "ref",
                "reference",
                "cmdb id",
                "uii",
                "unique investment identifier",
                "investment id",
                "application number",
                "element id",
            ),
        ),
        Field(
            "name",
            F.TEXT,
            "Name of the system or application.",
            "Name",
            True,
            synonyms=(
                "system name",
                "application",
                "application name",
                "app name",
                "app",
                "system",
                "service name",
                "investment title",
                "investment name",
                "business application",
            ),
        ),
        Field(
            "department",
            F.TEXT,
            "Owning department or organisation.",
            "Department",
            True,
            synonyms=(
                "dept",
                "owning department",
                "organisation",
                "organization",
                "org",
                "department name",
                "owning organisation",
                "directorate",
                "business unit",
                "bureau",
                "agency",
                "owning business unit",
            ),
        ),
        Field(
            "business_service",
            F.TEXT,
            "Business service the system supports.",
            "Business service",
            synonyms=("service", "business function", "business area", "function"),
        ),
        Field(
            "owner",
            F.TEXT,
            "Accountable owner (role or name).",
            "Owner",
            synonyms=("system owner", "business owner", "service owner", "iao", "information asset owner"),
        ),
        Field(
            "platform",
            F.CHOICE,
            "Where the system runs.",
            "Platform",
            synonyms=("hosting", "hosting model", "deployment", "hosting type", "environment", "infrastructure"),
            choices=PLATFORMS,
        ),
        Field(
            "technology",
            F.TEXT,
            "Main technology or product (e.g. COBOL, Java 6, Oracle Forms).",
            "Technology",
            synonyms=(
                "tech",
                "technology stack",
                "tech stack",
                "language",
                "product",
                "software",
                "primary technology",
                "stack",
            ),
        ),
        Field(
            "vendor",
            F.TEXT,
            "Supplier or vendor.",
            "Vendor",
            synonyms=("supplier", "provider", "manufacturer", "contractor"),
        ),
        Field(
            "go_live_year",
            F.YEAR,
            "Year the system went live.",
            "Go-live year",
            unit="year",
            synonyms=(
                "go live",
                "go live year",
                "year implemented",
                "implemented",
                "live since",
                "year live",
                "go live date",
                "in service since",
                "year introduced",
                "introduced",
            ),
        ),
        Field(
            "end_of_support",
            F.DATE,
            "Date vendor or product support ends (or ended).",
            "End of support",
            unit="date",
            synonyms=(
                "support ends",
                "eos",
                "end of life",
                "eol",
                "end of support date",
                "support end date",
                "end of vendor support",
                "out of support",
            ),
        ),
        Field(
            "contract_end",
            F.DATE,
            "Date the current supplier contract ends.",
            "Contract end",
            unit="date",
            synonyms=("contract end date", "contract expiry", "contract expires", "contract renewal", "renewal date"),
        ),
        Field(
            "criticality",
            F.CRITICALITY,
            "Business criticality, 1 (lowest) to 5 (highest).",
            "Criticality",
            unit="1-5",
            synonyms=("business criticality", "criticality rating", "tier", "importance", "priority"),
        ),
        Field(
            "users",
            F.INTEGER,
            "Number of users.",
            "Users",
            unit="people",
            synonyms=("number of users", "user count", "no of users", "users count", "staff users"),
        ),
        Field(
            "transactions_per_year",
            F.INTEGER,
            "Transactions processed per year.",
            "Transactions per year",
            unit="transactions/year",
            synonyms=("transactions", "annual transactions", "volume", "transactions pa", "transaction volume"),
        ),
        Field(
            "support_fte",
            F.NUMBER,
            "Full-time equivalent staff supporting the system.",
            "Support FTE",
            unit="FTE",
            synonyms=("fte", "support staff", "support headcount", "staff fte"),
        ),
        Field(
            "incidents_per_year",
            F.INTEGER,
            "Incidents logged per year.",
            "Incidents per year",
            unit="incidents/year",
            synonyms=("incidents", "annual incidents", "incident count"),
        ),
        Field(
            "outage_hours_per_year",
            F.NUMBER,
            "Hours of unplanned outage per year.",
            "Outage hours per year",
            unit="hours/year",
            synonyms=("outage hours", "downtime hours", "downtime", "annual downtime", "unplanned outage hours"),
        ),
        Field(
            "known_vulnerabilities",
            F.INTEGER,
            "Open known vulnerabilities (e.g. unpatched CVEs).",
            "Known vulnerabilities",
            unit="count",
            synonyms=("vulnerabilities", "open vulnerabilities", "cves", "open cves", "security vulnerabilities"),
        ),
        Field(
            "manual_workaround_hours_per_month",
            F.NUMBER,
            "Staff hours per month spent on manual workarounds.",
            "Manual workaround hours per month",
            unit="hours/month",
            synonyms=(
                "manual workaround hours",
                "workaround hours",
                "manual hours per month",
                "manual effort hours per month",
                "workaround hours per month",
            ),
        ),
        Field(
            "cddo_risk",
            F.CHOICE,
            "Department's self-assessed CDDO legacy risk rating.",
            "CDDO risk",
            synonyms=("risk", "rag", "rag rating", "risk rating", "legacy risk", "cddo rating"),
            choices=CDDO_RISK,
        ),
        Field(
            "replacement_cost_estimate_gbp",
            F.MONEY,
            "Estimated one-off cost to replace the system.",
            "Replacement cost estimate (£)",
            unit="GBP",
            synonyms=(
                "replacement cost",
                "replacement cost estimate",
                "cost to replace",
                "modernisation cost",
                "replacement estimate",
                "estimated replacement cost",
            ),
        ),
        Field(
            "replacement_years",
            F.NUMBER,
            "Estimated years to replace the system.",
            "Replacement years",
            unit="years",
            synonyms=("replacement duration", "years to replace", "replacement time", "time to replace"),
        ),
        Field(
            "annual_cost_gbp",
            F.MONEY,
            "Total annual cost where the inventory has one figure; stored as a `costs` line of category "
            "`unspecified` for the financial year of the import.",
            "Annual cost (£)",
            unit="GBP/year",
            synonyms=(
                "annual cost",
                "cost",
                "annual running cost",
                "running cost",
                "run cost",
                "yearly cost",
                "cost per year",
                "total cost",
                "total annual cost",
                "annual spend",
                "total spending",
                "spending",
                "cost pa",
            ),
            stored=False,
        ),
        Field(
            "runtime_platform",
            F.TEXT,
            "Operating system or runtime platform the system runs on (e.g. IBM z/OS, Windows Server 2008 R2, RHEL 7); "
            "read, with technology, for end of support and legacy evidence.",
            "Runtime platform",
            synonyms=("operating system", "os", "server os", "os version", "runs on", "runtime platform"),
        ),
        Field(
            "description",
            F.TEXT,
            "What the system is or does, in words; read for legacy evidence (legacy or modern technologies it names).",
            "Description",
            synonyms=("short description", "documentation", "system description"),
        ),
        Field(
            "lifecycle_status",
            F.TEXT,
            "Lifecycle phase or planned disposition (LeanIX's plan, phaseIn, active, phaseOut, endOfLife; "
            "ServiceNow's lifecycle stage); end of life decides legacy, phasing out or in is evidence.",
            "Lifecycle status",
            synonyms=(
                "lifecycle",
                "lifecycle phase",
                "lifecycle stage",
                "lifecycle state",
                "life cycle",
                "life cycle phase",
                "lifecycle status",
            ),
        ),
        Field(
            "cio_rating",
            F.NUMBER,
            "US IT Dashboard CIO evaluation of the investment's risk, 1 (high risk) to 5 (low risk); legacy evidence.",
            "CIO rating",
            unit="1-5",
            synonyms=("cio rating", "cio evaluation", "cio risk rating"),
        ),
        Field(
            "optimism_bias_mitigation",
            F.NUMBER,
            "Share (0-1) of the Green Book optimism-bias upper bounds (capex 200%, duration 54%) that the "
            "replacement's business case records as mitigated; blank = none, the full upper bounds apply.",
            "Optimism bias mitigation (0-1)",
            unit="fraction",
            synonyms=("optimism bias mitigation", "ob mitigation", "mitigation factor"),
        ),
        *CDDO_SCORE_FIELDS,  # last: the sample and older templates write the columns before them by position
    ),
)

INTERFACES = Table(
    name="interfaces",
    sheet="Interfaces",
    key="interface_id",
    description="One row per dependency: data flows from `source_system_id` to `target_system_id` "
    "(the target consumes the source).",
    fields=(
        Field(
            "interface_id",
            F.TEXT,
            "Identifier of the interface; generated as `FILE:ROW` when blank.",
            "Interface ID",
            synonyms=("id", "interface ref", "interface reference", "integration id", "ref"),
        ),
        Field(
            "source_system_id",
            F.TEXT,
            "System that sends or provides the data.",
            "Source system ID",
            True,
            synonyms=(
                "source",
                "source system",
                "from",
                "from system",
                "provider",
                "sending system",
                "upstream",
                "upstream system",
                "producer",
                "provider application",
                "provider system",
            ),
        ),
        Field(
            "target_system_id",
            F.TEXT,
            "System that receives or consumes the data.",
            "Target system ID",
            True,
            synonyms=(
                "target",
                "target system",
                "to",
                "to system",
                "consumer",
                "receiving system",
                "downstream",
                "downstream system",
                "destination",
                "consumer application",
                "consumer system",
            ),
        ),
        Field(
            "kind",
            F.CHOICE,
            "Interface technology.",
            "Kind",
            synonyms=("type", "interface type", "method", "integration type", "mechanism", "transport"),
            choices=INTERFACE_KINDS,
        ),
        Field(
            "frequency",
            F.CHOICE,
            "How often data flows.",
            "Frequency",
            synonyms=("schedule", "timing", "how often"),
            choices=FREQUENCIES,
        ),
        Field(
            "criticality",
            F.CRITICALITY,
            "Criticality of the interface, 1 to 5.",
            "Criticality",
            unit="1-5",
            synonyms=("interface criticality", "importance", "priority"),
        ),
    ),
)

COSTS = Table(
    name="costs",
    sheet="Costs",
    description="Reported cost lines: one amount per system, financial year and category.",
    fields=(
        Field(
            "system_id",
            F.TEXT,
            "System the cost belongs to.",
            "System ID",
            True,
            synonyms=("system", "system ref", "app id", "application id", "application", "system reference"),
        ),
        Field(
            "financial_year",
            F.FINANCIAL_YEAR,
            "UK financial year (April to March), written 2024-25.",
            "Financial year",
            True,
            unit="FY",
            synonyms=("fy", "year", "financial yr", "budget year"),
        ),
        Field(
            "category",
            F.CHOICE,
            "Cost category.",
            "Category",
            True,
            synonyms=("cost category", "cost type", "type", "cost element"),
            choices=COST_CATEGORIES,
        ),
        Field(
            "amount_gbp",
            F.MONEY,
            "Amount in pounds for that year.",
            "Amount (£)",
            True,
            unit="GBP",
            synonyms=("amount", "cost", "value", "spend", "annual cost", "gbp", "cost gbp", "total"),
        ),
    ),
)

TABLES: tuple[Table, ...] = (SYSTEMS, INTERFACES, COSTS)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("import_id", "BIGINT"),
    ("source_file", "VARCHAR"),
    ("source_sheet", "VARCHAR"),
    ("source_row", "BIGINT"),
)

NULL_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "n/a",
        "na",
        "n.a.",
        "-",
        "--",
        "—",
        "–",
        "tbc",
        "tbd",
        "unknown",
        "not known",
        "none",
        "null",
        "nil",
        "?",
        "#n/a",
        "not applicable",
        "not available",
    }
)
