"""The stage mapping an import suggests: each of their stage names on the closest of ours,
listed as our pipeline runs so that the list reads as theirs does."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dealgate.io.readers import suggest_stages

KEYS = ["prospect", "discover", "change", "design", "propose", "resolve", "decide", "won", "lost"]

SUGGESTIONS = {
    "salesforce_default_stages_map_onto_ours": (
        ["Closed Won", "Prospecting", "Negotiation/Review", "Needs Analysis"],
        {
            "Prospecting": "prospect",
            "Needs Analysis": "discover",
            "Negotiation/Review": "resolve",
            "Closed Won": "won",
        },
    ),
    "names_on_one_stage_keep_alphabetical_order": (
        ["Qualification", "Lead", "New"],
        {"Lead": "prospect", "New": "prospect", "Qualification": "prospect"},
    ),
    "a_name_nothing_fits_goes_on_prospect_and_last_for_a_person_to_check": (
        ["Mystery Stage", "Closed Lost", "Appointment Scheduled"],
        {"Closed Lost": "lost", "Appointment Scheduled": "prospect", "Mystery Stage": "prospect"},
    ),
}


@pytest.mark.parametrize(("names", "suggested"), SUGGESTIONS.values(), ids=SUGGESTIONS)
def test_suggested_stages_read_in_the_order_of_our_pipeline(
    names: list[str], suggested: dict[str, str]
) -> None:
    got = suggest_stages(names, KEYS)
    assert list(got.items()) == list(suggested.items())


DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize("crm", ["salesforce", "hubspot", "pipedrive"])
def test_each_crms_default_pipeline_is_suggested_as_its_sample_mapping_maps_it(crm: str) -> None:
    mapping = tomllib.loads((DATA / f"{crm}-mapping.toml").read_text())["stages"]
    assert suggest_stages(list(mapping), KEYS) == mapping
