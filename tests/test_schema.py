"""The schema is the single source: names unique, synonyms unambiguous, real-world headers map."""

from __future__ import annotations

import pytest

from estate.mapping import MappingProfile, match_header
from estate.schema import COSTS, INTERFACES, SYSTEMS, TABLES, normalise_header


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_field_is_documented(table):
    for f in table.fields:
        assert f.description and f.header, f.name
        assert f.name.islower() and " " not in f.name


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_synonyms_are_unambiguous_within_a_table(table):
    owner: dict[str, str] = {}
    for f in table.fields:
        for key in f.matching_keys():
            assert owner.setdefault(key, f.name) == f.name, f"'{key}' maps to {owner[key]} and {f.name}"


def test_money_fields_end_in_gbp():
    for table in TABLES:
        for f in table.fields:
            if f.type.value == "money":
                assert f.name.endswith("_gbp"), f.name


@pytest.mark.parametrize(
    ("header", "table", "field"),
    [
        ("Application", SYSTEMS, "name"),
        ("App name", SYSTEMS, "name"),
        ("System Name", SYSTEMS, "name"),
        ("Dept", SYSTEMS, "department"),
        ("Owning department", SYSTEMS, "department"),
        ("Support ends", SYSTEMS, "end_of_support"),
        ("EOS", SYSTEMS, "end_of_support"),
        ("End of life", SYSTEMS, "end_of_support"),
        ("  SYSTEM-ID ", SYSTEMS, "system_id"),
        ("Annual cost (£)", SYSTEMS, "annual_cost_gbp"),
        ("Annual cost (£k)", SYSTEMS, "annual_cost_gbp"),
        ("Users (number)", SYSTEMS, "users"),
        ("Replacement cost estimate (£)", SYSTEMS, "replacement_cost_estimate_gbp"),
        ("From", INTERFACES, "source_system_id"),
        ("Downstream system", INTERFACES, "target_system_id"),
        ("FY", COSTS, "financial_year"),
        ("Amount (£)", COSTS, "amount_gbp"),
        ("Favourite colour", SYSTEMS, None),
    ],
)
def test_real_world_headers_map_to_fields(header, table, field):
    assert match_header(header, table, MappingProfile())[0] == field


def test_normalise_header_ignores_case_space_and_punctuation():
    assert normalise_header("End-of Support_Date ") == normalise_header("end of support date") == "endofsupportdate"
