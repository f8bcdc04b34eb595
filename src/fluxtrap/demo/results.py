"""What the demo makes, shared by its run (:mod:`.run`) and its report (:mod:`.report`):
the trials of both loops, the settings, the result."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fluxtrap.campaign import running_best
from fluxtrap.magnetometry import CreepFit, JcCurve
from fluxtrap.simulate import Result


@dataclass(frozen=True)
class Trial:
    """One made and measured sample: ``params`` (campaign units), ``value`` of the objective (SI),
    ``origin`` ("researcher" or "optimizer"), the suggestion it realises (if any) and the
    value's 1-sigma ``error`` (SI; NaN where unknown)."""

    label: str
    origin: str
    params: dict[str, float]
    value: float
    suggestion_id: int | None = None
    error: float = math.nan


def best_so_far(trials: Sequence[Trial], maximize: bool = True) -> list[float]:
    """Running best objective value after each trial."""
    return running_best([t.value for t in trials], maximize).tolist()


@dataclass(frozen=True)
class DemoSettings:
    """How much the demo does: ``samples`` per loop (the first ``ResearcherLoop.first`` shared),
    the simulation mesh size (m), its accuracy target (fraction of the peak self-field) and hold
    time (s); ``quick`` is a smaller run for tests, its coarse mesh held to a 2 % target."""

    seed: int = 0
    samples: int = 20
    mesh_size_m: float = 1e-3
    accuracy: float = 0.01
    hold_s: float = 6000.0

    @classmethod
    def quick(cls, seed: int = 0) -> DemoSettings:
        return cls(seed=seed, samples=10, mesh_size_m=3e-3, accuracy=0.02, hold_s=1500.0)


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What the demo made: the store URL, both loops' trials, the best sample of each, the
    simulation ``Result``, the creep fit of the centre probe, and the report path."""

    settings: DemoSettings
    db_url: str
    campaign: str
    researcher: list[Trial]
    data_driven: list[Trial]
    best: dict[str, Trial]
    jc: dict[str, JcCurve]
    simulation: Result
    creep: CreepFit
    report: Path
    wall_s: dict[str, float]

    @property
    def ppm_per_h(self) -> float:
        """Decay of the centre field at the end of the simulated hold (ppm/h)."""
        return float(self.creep.decay_ppm_per_h(self.creep.t_end_s))
