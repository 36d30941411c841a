"""Wall time of `detente forecast` on the default scenario, against Python's own start-up.

Run: ``python benchmarks/bench_cli.py``. Prints the median of several runs of each command and the
ratio, so the figure is comparable across machines. Target: the forecast under 1 s wall.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def wall(cmd: list[str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    base = wall([sys.executable, "-c", "pass"])
    imports = wall([sys.executable, "-c", "import numpy, pydantic, yaml"])
    fc = wall([sys.executable, "-m", "detente", "forecast"])
    fcj = wall([sys.executable, "-m", "detente", "forecast", "--json"])
    print(f"python start-up (baseline)        {base * 1000:7.0f} ms   1.0x")
    print(f"import numpy+pydantic+yaml        {imports * 1000:7.0f} ms  {imports / base:5.1f}x")
    print(f"detente forecast (default, table) {fc * 1000:7.0f} ms  {fc / base:5.1f}x")
    print(f"detente forecast --json           {fcj * 1000:7.0f} ms  {fcj / base:5.1f}x")
    print(f"target: under 1000 ms -> {'met' if fc < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
