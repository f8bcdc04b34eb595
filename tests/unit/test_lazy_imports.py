"""The command line starts without the store: SQLAlchemy and Alembic load only for commands
that open it (they took 2-5 s of every ``fluxtrap simulate`` on a loaded 2-core machine)."""

import subprocess
import sys


def test_the_cli_and_a_simulation_start_without_the_store():
    code = (
        "import sys, fluxtrap.cli.app, fluxtrap.simulate.simulation;"
        "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
