"""Which command fixes a gate refusal. The domain says what to do in the product's words, for
every front end alike; the command line adds the command that does it, as the pages add a
link to the form."""

from __future__ import annotations

from dataclasses import replace

from dealgate.domain.errors import DealgateError

_RECORD = (
    "`dealgate commit add {deal} --party buyer --kind KIND --who NAME --due YYYY-MM-DD "
    "--action TEXT`"
)

# (code, field) -> the commands, with {deal} and {number} (the commitment at fault).
COMMANDS: dict[tuple[str, str], str] = {
    ("no_buyer_commitment", "commitments"): _RECORD,
    ("only_seller_commitments", "commitments"): _RECORD,
    ("kind_not_on_exit_menu", "kind"): _RECORD,
    ("stage_skipped", "commitments"): _RECORD,
    ("commitment_undated", "due"): (
        "`dealgate commit set {deal} {number} --status kept` once done, or " + _RECORD
    ),
    ("no_buyer_person", "person"): (
        "`dealgate stakeholder add {deal} NAME --role ROLE`, then "
        "`dealgate commit name {deal} {number} --who NAME`"
    ),
    ("prerequisite_missing", "requires.dissatisfaction_documented"): (
        "`dealgate deal note {deal} --dissatisfaction TEXT`"
    ),
    ("prerequisite_missing", "requires.buying_committee_mapped"): (
        "`dealgate stakeholder add {deal} NAME --role economic_buyer`"
    ),
    ("reason_required", "reason"): "`dealgate close {deal} --lost --reason TEXT`",
}


def command_for(code: str, field: str | None, deal_id: int, number: int | None) -> str | None:
    """The commands that fix this refusal of deal `deal_id`, or None when none does."""
    template = COMMANDS.get((code, field or ""))
    if template is None or ("{number}" in template and number is None):
        return None
    return template.format(deal=deal_id, number=number)


def told_how(message: str, code: str, field: str | None, deal_id: int, number: int | None) -> str:
    """`message`, followed by the commands that fix it when some do."""
    command = command_for(code, field, deal_id, number)
    return message if command is None else f"{message} Run {command}."


def with_commands(error: DealgateError, deal_id: int) -> DealgateError:
    """The same error, each detail a command can fix saying which."""
    details = [
        replace(d, message=told_how(d.message, d.code, d.field, deal_id, d.commitment))
        for d in error.details
    ]
    return DealgateError(error.error, details, error.status)


def with_move_options(error: DealgateError, process_file: str | None) -> DealgateError:
    """A process refused for the deals standing in a stage it leaves out says which option
    names where they go."""
    init = "dealgate init" + (f" --process {process_file}" if process_file else "")
    details = [
        replace(
            d,
            message=f"{d.message} Run `{init} --move {d.field.removeprefix('move.')}=STAGE`.",
        )
        if d.code == "stage_in_use" and d.field and d.field.startswith("move.")
        else d
        for d in error.details
    ]
    return DealgateError(error.error, details, error.status)
