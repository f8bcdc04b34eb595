"""Wall time of ``fluxtrap sample list`` on a campaign of N samples (10 000 by default), in a
fresh interpreter, best of 3 (imports included: about 1 s of it).

On the shared 2-core machine (load 3-5), 10 000 samples: 12.0 s best of 3 (13.3 s CPU; 19-27 s
single runs) before the table was rendered as text (rich's Table measured, wrapped and cropped
every cell), 2.0 s best of 3 (2.5-3.0 s CPU) after.

    python bench/bench_sample_list.py [-n N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store

EXAMPLE = Path(__file__).resolve().parents[1] / "src/fluxtrap/examples/campaign.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="samples in the campaign")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        spec = Store(db).create_campaign(CampaignSpec.from_toml(EXAMPLE)).spec
        rows = [
            {
                "label": f"S{i:05d}",
                "params": {"ramp_rate": 10 + i % 900 / 10, "max_temperature": 450 + i % 300,
                           "dwell_time": i % 6000 / 100},
                "objectives": {"jc_3T": 1e8 + i} if i % 2 else {},
            }
            for i in range(n)
        ]  # fmt: skip
        Store(db).add_samples(spec.name, rows)
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "fluxtrap", "sample", "list", "-c", spec.name, "--db", db],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            walls.append(time.perf_counter() - t0)
        print(f"sample list of {n} samples: best {min(walls):.2f} s wall (of {len(walls)})")


if __name__ == "__main__":
    main()
