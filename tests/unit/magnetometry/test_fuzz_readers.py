"""Damaged files: whatever the bytes, the readers and the Jc pipeline raise FluxtrapError or succeed."""

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluxtrap.errors import FluxtrapError
from fluxtrap.magnetometry.jc import kim
from fluxtrap.magnetometry.pipeline import derive
from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

_buf = io.StringIO()
write_qd_dat(synthetic_mh_loop(kim(1e9, 0.6), 0.5e-3, 1.2e-3, 2.8e-3, n_points=21), _buf)
GOOD = _buf.getvalue().encode()
CSV = b"H (Oe),m (emu),T (K)\n" + b"\n".join(
    f"{h},{1e-3 * np.sin(h)},5".encode() for h in range(-50, 50)
)


@st.composite
def damaged(draw):
    base = draw(st.sampled_from([GOOD, CSV]))
    cut = draw(st.integers(0, len(base)))
    data = bytearray(base[:cut] if draw(st.booleans()) else base)
    for _ in range(draw(st.integers(0, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data), draw(st.sampled_from(["x.dat", "x.csv", "x"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_files_raise_only_fluxtrap_errors(case):
    content, name = case
    try:
        _, curves, jc = derive("mh_loop", content, name, 0.5e-3, 1.2e-3, 2.8e-3)
    except FluxtrapError as err:
        assert str(err).startswith(name)  # every message names the file first
        return
    assert np.all(jc.jc_A_m2 > 0) and np.all(np.diff(jc.field_T) > 0)
    assert len(curves[0].columns["B_T"]) == jc.field_T.size
