"""estate: import legacy-IT inventories into DuckDB with located validation and provenance."""

__version__ = "0.3.0"

from estate.issues import ImportRejected, Issue, IssueCode, Severity
from estate.mapping import MappingProfile, ProfileError
from estate.schema import COSTS, INTERFACES, SYSTEMS, TABLES, Field, FieldType, Table
from estate.store import (
    ImportSummary,
    StoreError,
    connect,
    default_db_path,
    import_files,
    validate_files,
)
from estate.validation import FileResult, validate_file

__all__ = [
    "COSTS",
    "INTERFACES",
    "SYSTEMS",
    "TABLES",
    "Field",
    "FieldType",
    "FileResult",
    "ImportRejected",
    "ImportSummary",
    "Issue",
    "IssueCode",
    "MappingProfile",
    "ProfileError",
    "Severity",
    "StoreError",
    "Table",
    "__version__",
    "connect",
    "default_db_path",
    "import_files",
    "validate_file",
    "validate_files",
]
