"""The stage mapping an import suggests: each of their stage names on the closest of ours,
listed as our pipeline runs so that the list reads as theirs does."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dealgate.io.readers import suggest_stages
from dealgate.processes import parse_process
from tests.builders import PROCESS

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
    got = suggest_stages(names, PROCESS)
    assert list(got.items()) == list(suggested.items())


DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize("crm", ["salesforce", "hubspot", "pipedrive"])
def test_each_crms_default_pipeline_is_suggested_as_its_sample_mapping_maps_it(crm: str) -> None:
    mapping = tomllib.loads((DATA / f"{crm}-mapping.toml").read_text())["stages"]
    assert suggest_stages(list(mapping), PROCESS) == mapping


# A team's own process: stages named its own way, on the rungs they expect.
SMB = parse_process(
    """
[process]
name = "SMB"
[[stages]]
key = "qualify"
name = "Qualify"
exit = ["first_meeting_accepted", "demo_accepted"]
[[stages]]
key = "demo"
name = "Demo"
exit = ["data_shared", "change_priority_confirmed"]
[[stages]]
key = "proposal"
name = "Proposal and pricing"
exit = ["budget_confirmed", "economic_buyer_meeting"]
[[stages]]
key = "negotiate"
name = "Negotiate"
exit = ["legal_review_started"]
[[stages]]
key = "decide"
name = "Decide"
exit = ["contract_signed"]
""",
    "smb.toml",
)

OWN_PROCESS = {
    "a_name_like_one_of_the_teams_own_stages_lands_on_it": ("Qualified to buy", "qualify"),
    "a_negotiation_lands_on_the_teams_negotiation_stage": ("Negotiation/Review", "negotiate"),
    "a_stage_the_team_also_has_keeps_its_place": ("Verbal commit", "decide"),
    "a_contract_sent_lands_on_the_stage_expecting_its_rung": ("Contract sent", "negotiate"),
    "a_hinted_stage_the_team_lacks_lands_where_its_rung_is_expected": (
        "Presentation scheduled",
        "demo",
    ),
    "a_decision_maker_bought_in_is_a_proposal_by_its_rung": ("decisionmakerboughtin", "proposal"),
    "closed_stages_are_every_processs": ("Closed Won", "won"),
    "a_name_nothing_fits_goes_on_the_teams_first_stage": ("Appointment scheduled", "qualify"),
}


@pytest.mark.parametrize(("name", "stage"), OWN_PROCESS.values(), ids=OWN_PROCESS)
def test_a_teams_own_process_gets_suggestions_in_its_own_stages(name: str, stage: str) -> None:
    assert suggest_stages([name], SMB) == {name: stage}
