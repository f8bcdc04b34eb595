"""The random cases of bench/bench_accuracy_random.py: every draw is a valid case whose probes
lie in air, a seed always draws the same cases, and the reference mesh puts at least 10 elements
across the case's smallest dimension (or is 0.2 mm)."""

import importlib.util
import random
import sys
import warnings
from pathlib import Path

import pytest

from fluxtrap.simulate import Case

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # it imports bench_accuracy beside it
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_accuracy_random", BENCH / "bench_accuracy_random.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize("kind", ["field_case", "temperature_case"])
def test_every_draw_is_a_valid_case_with_its_probes_in_air(bench, kind):
    draw = getattr(bench, kind)
    rng = random.Random(0)
    for _ in range(40):
        name, spec, ref_mm = draw(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a probe inside a superconductor warns
            case = Case.from_dict(spec)
        smallest_mm = case._smallest_dimension()[0] * 1e3
        assert 0.2 <= ref_mm <= max(0.2, smallest_mm / 10), name  # 10 elements across it


def test_a_seed_draws_the_same_cases(bench):
    first = [bench.field_case(random.Random(11)) for _ in range(2)]
    assert first[0] == first[1]
    assert bench.field_case(random.Random(12)) != first[0]
