"""A suggestion does not repeat a measured point within the noise unless the noise model says
nothing else is worth a measurement, and then it says so (``ask``'s ``attrs["repeats"]``)."""

import math

import numpy as np
import pandas as pd
import torch

from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.model import typical_noise_std
from fluxtrap.optimize.stopping import KAPPA

SPACE = SearchSpace([Continuous("a", 0, 1, 0.05), Continuous("b", 0, 1, 0.05)])  # 441 points


def test_a_converged_loop_repeats_a_point_only_when_nothing_else_is_worth_it_and_says_so():
    """2-D quadratic, noise 0.05, 14 asks: every row a measurement could not tell from a taken
    point is listed in attrs["repeats"], and in a round by expected improvement only when no
    free grid point that is not a repeat has log EI >= log(KAPPA x noise std), the stopping
    advisor's bar. The loop of the old code repeated unannounced (3-D: 10 of 25 asks)."""
    rng = np.random.default_rng(0)

    def measure(X: pd.DataFrame) -> pd.Series:
        y = -4 * ((X.to_numpy() - 0.37) ** 2).sum(1) + 0.05 * rng.standard_normal(len(X))
        return pd.Series(y, name="y")

    X = SPACE.sample(3, seed=0)
    opt = Optimizer(SPACE, seed=0, num_restarts=2, raw_samples=64).tell(X, measure(X))
    U = SPACE.to_unit(SPACE.grid())
    switched = 0
    for _ in range(14):
        row = opt.ask(1)
        taken = opt._U()
        free = torch.tensor([k not in set(SPACE.keys(opt.X)) for k in SPACE.keys(SPACE.grid())])
        rep = opt.repeats(U, taken)
        said = row.attrs["repeats"] == [0]
        assert bool(opt.repeats(SPACE.to_unit(row[SPACE.names]), taken)[0]) == said
        if (
            not any(row.attrs["exploit"])
            and "PosteriorMean" not in row.attrs["acquisition_function"]
        ):
            with torch.no_grad():
                ei = opt.acquisition_function()(U.unsqueeze(1))
            bar = math.log(KAPPA * float(typical_noise_std(opt.model)[0]))
            worth = free & ~rep & (ei >= bar)
            assert not (said and worth.any())  # a repeat only when nothing else is worth it
            best = int(torch.argmax(ei.masked_fill(~free, -math.inf)))
            switched += bool(rep[best]) and not said  # EI's best free point was a repeat
        opt.tell(row[SPACE.names], measure(row[SPACE.names]))
    assert switched >= 1  # the loop met the case: EI's best point repeated, a new one taken


def test_a_candidates_verdict_does_not_depend_on_how_many_are_asked_about_at_once():
    """A grid point halfway between two taken points: torch.cdist's matrix-product form (used
    past 25 rows) rounded the two distances apart, so its nearest point, and whether it was a
    repeat, differed between the whole grid at once and the point alone (the loop above, on
    one machine, then took an announced repeat for none)."""
    a_b = [
        (0.5, 0.6),
        (0.6, 0.05),
        (0.95, 0.85),
        (0.35, 0.25),
        (0.15, 1.0),
        (0.45, 0.25),
        (0.2, 0.45),
        (0.9, 0.4),
        (0.4, 0.4),
        (0.0, 0.15),
        (0.3, 0.35),
        (0.35, 0.5),
        (0.4, 0.3),
        (0.3, 0.55),
        (0.25, 0.4),
        (0.5, 0.4),
    ]  # the loop's 16 rows at its 14th ask
    taken = pd.DataFrame(a_b, columns=["a", "b"])
    noise = np.random.default_rng(0).standard_normal(len(taken))
    y = pd.Series(-4 * ((taken.to_numpy() - 0.37) ** 2).sum(1) + 0.05 * noise, name="y")
    opt = Optimizer(SPACE, seed=0).tell(taken, y)
    U, T = SPACE.to_unit(SPACE.grid()), opt._U()
    whole = opt.repeats(U, T)
    alone = torch.cat([opt.repeats(U[k : k + 1], T) for k in range(len(U))])
    assert torch.equal(whole, alone), torch.nonzero(whole != alone).ravel().tolist()
