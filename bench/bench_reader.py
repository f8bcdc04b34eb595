"""Reading a large magnetometer file: the vectorised data block against the line-by-line path.

An MPMS3-style ``.dat`` (6 columns, as ``synthetic.write_qd_dat`` writes) of ``--rows`` points,
and a CSV table of the same points (``B_T,m_emu,T_K``):
``readers.read`` with today's data block read by pandas' C parser (``_columns.numeric_block``)
against the line-by-line path it falls back to for files that are not plain (``split_rows``,
``skip_missing``, ``numeric_column``: one Python call per cell), best of ``--repeats``, in one
run. The two tables must agree value for value.

    python bench/bench_reader.py [--rows 1000000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import io
import time
from unittest import mock

import numpy as np

from fluxtrap.magnetometry.readers import csv_table, qd_dat, read
from fluxtrap.magnetometry.synthetic import write_qd_dat
from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata


def csv_file(table: MeasurementTable) -> bytes:
    """The points of ``table`` as a CSV table, B in T, m in emu, T in K."""
    lines = [
        f"{b:.10g},{m * 1e3:.10g},{t:.6g}"
        for b, m, t in zip(table.field_T, table.moment_Am2, table.temperature_K, strict=True)
    ]
    return ("B_T,m_emu,T_K\n" + "\n".join(lines) + "\n").encode()


def loop_file(rows: int) -> bytes:
    """A SYNTHETIC .dat of ``rows`` points: 20 loops to +-7 T, a tanh moment with noise."""
    b = 7 * np.sin(np.linspace(0, 40 * np.pi, rows))
    m = -1e-3 * np.tanh(b) + np.random.default_rng(0).normal(0, 1e-6, rows)
    table = MeasurementTable.from_arrays(
        b,
        m,
        TableMetadata("big.dat", "MPMS3", "VSM"),
        temperature_K=np.full(rows, 5.0),
        time_s=np.arange(rows, dtype=float),
        moment_err_Am2=np.full(rows, 1e-9),
    )
    buf = io.StringIO()
    write_qd_dat(table, buf)
    return buf.getvalue().encode()


def best(content: bytes, filename: str, repeats: int) -> tuple[float, MeasurementTable]:
    """The shortest wall time (s) of ``repeats`` reads of ``content``, and the table read."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = read(content, filename=filename)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    dat = loop_file(args.rows)
    table = read(dat, filename="big.dat")
    for name, content, module in (
        ("big.dat", dat, qd_dat),
        ("big.csv", csv_file(table), csv_table),
    ):
        fast_s, fast = best(content, name, args.repeats)
        with mock.patch.object(module, "numeric_block", lambda *a, **k: None):
            slow_s, slow = best(content, name, args.repeats)
        for col in ("field_T", "moment_Am2", "temperature_K", "time_s", "moment_err_Am2", "line"):
            np.testing.assert_array_equal(getattr(fast, col), getattr(slow, col), err_msg=col)
        print(
            f"{name}: {args.rows} rows, {len(content) / 1e6:.1f} MB: vectorised {fast_s:.2f} s, "
            f"line by line {slow_s:.2f} s, ratio {slow_s / fast_s:.1f}x (tables identical)"
        )


if __name__ == "__main__":
    main()
