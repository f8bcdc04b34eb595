"""Bayesian optimization in code: a search space, a few first samples, then an ask/tell loop.

Shows the optimizer API without a store: ``SearchSpace`` of ``Continuous`` parameters (the
spark-plasma-sintering parameters of examples/campaign.toml, on their step grids) ->
``Optimizer.tell`` -> ``ask`` -> make and measure -> ``tell`` ... then ``lengthscales`` (a short
one: the parameter matters) and a model-slice figure (``fluxtrap.optimize.plots``). The
"measurement" is Jc(3 T, 5 K) from the SYNTHETIC virtual lab (``fluxtrap.demo.lab``: a process model
of K-Ba122 bulks with sample scatter, not real data); in a lab, ``measure`` would be your sample.

    python examples/optimize_in_code.py              # 8 suggestions, figure in $TMPDIR
    python examples/optimize_in_code.py --quick      # 3 suggestions
"""

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from fluxtrap.demo.lab import VirtualLab
from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.plots import model_slices, plot_slices_1d

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-optimize")
parser.add_argument("--quick", action="store_true", help="3 suggestions instead of 8")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
try:
    args.out.mkdir(parents=True, exist_ok=True)
except OSError as err:  # --out not a folder one can write in
    parser.error(f"{args.out}: cannot write there ({err.strerror})")

space = SearchSpace(
    [
        Continuous("ramp_rate", low=10, high=100, step=0.1, unit="degC/min"),
        Continuous("max_temperature", low=450, high=750, step=1, unit="degC"),
        Continuous("dwell_time", low=0, high=60, step=0.01, unit="min"),
    ]
)
print(space)
lab = VirtualLab(seed=args.seed)
print(f"SYNTHETIC measurements from {lab!r}")


def measure(params: dict, label: str) -> float:
    """Jc(3 T, 5 K) in A/cm² of a SYNTHETIC sample made at ``params``."""
    return lab.jc_curve(params, label).at(3.0) * 1e-4


# the researchers' first samples: a temperature scan at 50 degC/min and 5 min
X = pd.DataFrame(
    {"ramp_rate": 50.0, "max_temperature": [500.0, 550, 600, 650, 700], "dwell_time": 5.0}
)
y = pd.Series([measure(row, f"R{i + 1}") for i, row in X.iterrows()], name="jc_3T_A_cm2")
for (_, row), value in zip(X.iterrows(), y, strict=True):
    print(f"researcher {row['max_temperature']:g} degC: Jc(3 T) = {value:.2f} A/cm²")

# fewer restarts than the default, as the demo does: a few seconds per suggestion
opt = Optimizer(space, seed=args.seed, num_restarts=4, raw_samples=128).tell(X, y)
for k in range(1, (3 if args.quick else 8) + 1):
    suggestion = opt.ask(1)  # one row on the step grid + its acquisition value
    params = suggestion[space.names].iloc[0].to_dict()
    value = measure(params, f"D{k}")
    opt.tell(suggestion[space.names], pd.Series([value], name=y.name))
    print(
        f"suggestion {k}: {params['ramp_rate']:g} degC/min, {params['max_temperature']:g} degC, "
        f"{params['dwell_time']:g} min -> Jc(3 T) = {value:.2f} A/cm²; "
        f"best so far {opt.Y[y.name].max():.2f} A/cm²"
    )

best = opt.best()  # the best measured row: parameters and Jc
print(
    f"best of {len(opt.X)} samples: {best['ramp_rate']:g} degC/min, {best['max_temperature']:g} degC, "
    f"{best['dwell_time']:g} min -> Jc(3 T) = {best[y.name]:.2f} A/cm²"
)
lengthscales = opt.lengthscales().loc[y.name]
for p in space.parameters:  # relative to the range: the shortest is the one that matters most
    ls = lengthscales[p.name]
    print(f"length-scale {p.name}: {ls:.4g} {p.unit} ({ls / p.width:.3f} of its range)")

slices = model_slices(opt, n_grid=30 if args.quick else 60, two_d=[])  # 1D slices through the best
figure = args.out / "model_slices.png"
plot_slices_1d(slices).savefig(figure, dpi=100)
print(f"figure: {figure}")
