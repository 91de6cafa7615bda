"""A sales process: the commitment catalogue and the ordered stages with their exit menus."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from dealgate.domain.errors import invalid
from dealgate.domain.ladder import Rung

WON = "won"
LOST = "lost"
CLOSED_STAGES = (WON, LOST)


@dataclass(frozen=True)
class CommitmentKind:
    """A named, concrete client action on one rung, e.g. `economic_buyer_meeting` on `consensus`."""

    key: str
    rung: Rung
    label: str


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    exit: tuple[str, ...]
    requires: tuple[str, ...] = ()
    stall_after_days: int | None = None
    # When true, a commitment obtained before the deal entered this stage may open its gate.
    accepts_earlier: bool = False
    # The lowest rung a commitment should reach to exit; defaults to the menu's lowest rung.
    expects: Rung | None = None


@dataclass(frozen=True)
class Process:
    name: str
    kinds: dict[str, CommitmentKind]
    stages: tuple[Stage, ...]
    # Worked out once: the gate asks for positions several times per deal judged.
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = (*(s.key for s in self.stages), *CLOSED_STAGES)
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_positions", {k: keys.index(k) for k in keys})

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    @property
    def stage_keys(self) -> tuple[str, ...]:
        """Open stages in order, then the two closed ones."""
        return self._keys

    def has_stage(self, key: str) -> bool:
        return key in self.stage_keys

    def stage(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise invalid(
            "unknown_stage",
            f"Unknown stage '{key}'. Use one of: {', '.join(self.stage_keys)}.",
            "stage",
        )

    def position(self, key: str) -> int:
        """Index in the process; `won` sits after the last open stage, `lost` after that."""
        found = self._positions.get(key)
        if found is None:
            self.stage(key)  # raises the helpful error
            raise AssertionError(key)  # unreachable: an open stage has a position
        return found

    def next_stage(self, key: str) -> str | None:
        if key in CLOSED_STAGES:
            return None
        index = self.position(key)
        return self.stage_keys[index + 1]  # the stage after the last open one is `won`

    def later_stages(self, key: str) -> tuple[str, ...]:
        """Where a deal in `key` may be moved: every open stage after it, then `won`."""
        if key in CLOSED_STAGES:
            return ()
        return self.stage_keys[self.position(key) + 1 : self.position(WON) + 1]

    def kind(self, key: str) -> CommitmentKind:
        found = self.kinds.get(key)
        if found is None:
            raise invalid(
                "unknown_kind",
                f"Unknown commitment kind '{key}'. Run `dealgate process show` for the catalogue.",
                "kind",
            )
        return found

    def rung_of(self, kind_key: str | None) -> Rung | None:
        if kind_key is None:
            return None
        found = self.kinds.get(kind_key)
        return found.rung if found else None

    def expected_rung(self, stage: Stage) -> Rung | None:
        if stage.expects is not None:
            return stage.expects
        rungs = [self.kinds[k].rung for k in stage.exit if k in self.kinds]
        return min(rungs, key=lambda r: r.level) if rungs else None

    def evidenced_stage(self, highest_rung: Rung | None) -> str:
        """The furthest stage a buyer who reached `highest_rung` has shown evidence for.

        A deal is evidenced past a stage when its buyer has committed on a rung at least as high
        as the lowest rung that exits that stage.
        """
        evidenced = self.stages[0].key
        for index, stage in enumerate(self.stages):
            floor = self.expected_rung(stage)
            if highest_rung is None or floor is None or highest_rung.level < floor.level:
                break
            evidenced = self.stage_keys[index + 1]
        return evidenced

    def backs(self, stage: str, highest_rung: Rung | None) -> bool:
        """Whether a buyer who reached `highest_rung` has shown evidence for a deal in `stage`
        (the deal claims no more than its commitments justify)."""
        return self.position(stage) <= self.position(self.evidenced_stage(highest_rung))
