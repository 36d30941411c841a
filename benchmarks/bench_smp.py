"""Benchmark of the batched KTAB SMP (``detente.models.smp``): prints figures, asserts nothing.

1. Batched SMP on ``--draws`` Monte Carlo draws (default 10,000) of two cases:
   - the bundled default scenario (``russia-nato-2021``, 11 actors x 10 issues; draws compiled
     by ``compile_scenario``), each draw run to KTAB's stop rule (``SMP.forecast``);
   - a 30-actor x 1-issue case (the first 30 actors of KTAB's ``dummyData-a040.csv``; each draw
     perturbs positions (normal, sd 5 points, clipped to 0..100), saliences (x U(0.8, 1.2),
     total capped at 100) and capabilities (x lognormal, sd 0.1)), at most ``--turns`` BCN
     turns per draw (``max_iter``; default 1, so that it fits the time budget on a small
     machine; cost is linear in turns).
   Both are run batched twice: NumPy only, and (when Numba is installed) through the compiled
   kernel ``detente.models._smp_kernel``, whose results must be identical (the largest
   difference is printed). Each is compared with (a) a per-draw Python loop over the same
   batched model (one-sample calls, which take the NumPy path, timed on ``--loop-draws`` draws
   and extrapolated) and (b) the plain-Python reference
   ``benchmarks/reference_smp.py`` (lists and floats, one draw at a time; timed on
   ``--ref-draws`` draws and extrapolated). The largest differences of those draws' forecasts
   from the batched ones are printed.
2. Single deterministic runs to KTAB's stop rule on 27 x 6 (``dummyData_6Dim.csv``), 40 x 1
   (``dummyData-a040.csv``) and 13 x 2 (``SOE-Pol-Comp.csv``), for comparison with KTAB 1.4's
   published single-run times (27 x 6: 2.3 s, 40 x 1: 5.4 s, 13 x 2: 0.34 s).
4. (``--exponent``) The cost of one SMP turn against the number of actors, N = 20, 40, 80, 160,
   320 (random actors on ``--exp-issues`` issues, ``--exp-samples`` samples, one turn per run,
   NumPy path; the compiled kernel where it applies, N < 128): the fitted exponent of
   CPU time ~ N^k over 20-320 and between each pair of sizes. Pairwise votes need O(N^2)
   work per turn; what is above is the third-party sums of the vote assessment, O(N^3).
3. The same batched runs with the baseline module, ``detente.models.smp`` as of commit
   ``BASELINE_COMMIT`` (read from git and imported in this process; skipped with
   ``--no-baseline`` or outside a git checkout): the ratio baseline / current and the largest
   difference of the final forecasts (expected 0).

5. (``--blocks K``, alone) CPU per 256-draw Monte Carlo block of the default scenario (blocks
   0 .. K-1 of ``montecarlo --seed 0``), single-threaded, of the compiled kernel now and of the
   kernel of ``--block-baseline`` (default ``BLOCKS_BASELINE``, before the issue-23 kernel
   work; read from git and compiled in this process), interleaved, best of ``--block-repeat``,
   and whether their final positions are the same bits. ``bench_bdm.py`` and ``bench_nbs.py``
   take the same options.

Times are CPU times of this process (``time.process_time``): the machine is shared, and wall
time includes waiting for a core.

Usage: ``python benchmarks/bench_smp.py [--draws 10000] [--turns 1] [--loop-draws 100]
[--ref-draws 5] [--no-baseline] [--exponent] [--exponent-only]``.
The shared data folder is ``$DETENTE_SHARED`` or ``../shared`` next to the repository root.
Total runtime on a 2-core shared machine: a few minutes with the defaults.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import reference_smp  # noqa: E402
from baseline import module_at_commit  # noqa: E402

import detente.models.smp as smp  # noqa: E402
from detente.arrays import ScenarioArrays  # noqa: E402
from detente.io.ktab import read_ktab  # noqa: E402
from detente.models import get_model  # noqa: E402
from detente.scenario import load_scenario  # noqa: E402
from detente.scenario.compile import compile_scenario  # noqa: E402

SHARED = Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared"))
SMP_DIR = SHARED / "data" / "ktab" / "smp"
KTAB_PUBLISHED = {"27x6": 2.3, "40x1": 5.4, "13x2": 0.34}
BASELINE_COMMIT = "496d0a4"


def baseline_model():
    """The SMP model of ``BASELINE_COMMIT``, imported under another name (or None)."""
    module = module_at_commit(BASELINE_COMMIT, "src/detente/models/smp.py", "smp_baseline")
    return None if module is None else module.SMP()


def draws(base: ScenarioArrays, n: int, rng: np.random.Generator) -> ScenarioArrays:
    """``n`` perturbed copies of a one-sample scenario."""
    a = base.take_samples(np.zeros(n, dtype=int))
    pos = np.clip(a.position + rng.normal(0.0, 5.0, a.position.shape), 0.0, 100.0)
    sal = a.salience * rng.uniform(0.8, 1.2, a.salience.shape)
    tot = sal.sum(axis=2, keepdims=True)
    sal = np.where(tot > 1.0, sal / tot, sal)
    cap = a.capability * rng.lognormal(0.0, 0.1, (n, a.n_actors, 1))
    return ScenarioArrays.from_table(
        pos,
        sal,
        cap,
        mask=a.mask,
        scale_min=a.scale_min,
        scale_max=a.scale_max,
        actor_ids=a.actor_ids,
        issue_ids=a.issue_ids,
    )


def run(model, arrays: ScenarioArrays, turns: int | None) -> np.ndarray:
    """Final forecasts to the stop rule, the turn limit being ``turns`` (None: ``max_iter``)."""
    if turns is not None:
        model = type(model)(**{**model.options.model_dump(), "max_iter": turns})
    return model.forecast(arrays, np.random.default_rng(0))


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def batch_vs_loop(label: str, many: ScenarioArrays, turns: int | None, args, old) -> None:
    model = get_model("smp")
    n = many.n_samples
    what = "to the stop rule" if turns is None else f"at most {turns} turn(s)"
    threshold = smp.NUMBA_MIN_SAMPLES
    smp.NUMBA_MIN_SAMPLES = 10**12  # NumPy only
    t0 = time.process_time()
    together = run(model, many, turns)
    t_batch = time.process_time() - t0
    smp.NUMBA_MIN_SAMPLES = threshold
    print(
        f"{label:>7}: {n} draws, {what}: batched NumPy {t_batch:7.2f} s "
        f"({1e3 * t_batch / n:.3f} ms/draw)",
        flush=True,
    )
    if numba_available():
        run(model, many.take_samples(np.arange(smp.NUMBA_MIN_SAMPLES)), turns)  # compile/load
        t0, w0 = time.process_time(), time.perf_counter()
        compiled = run(model, many, turns)
        t_comp, w_comp = time.process_time() - t0, time.perf_counter() - w0
        print(
            f"{label:>7}: batched compiled (Numba, {os.cpu_count()} thread(s)) CPU {t_comp:7.2f} s,"
            f" wall {w_comp:7.2f} s; NumPy / compiled CPU = {t_batch / t_comp:.1f}; "
            f"max |compiled - NumPy| = {np.abs(compiled - together).max():.1e}",
            flush=True,
        )
    else:
        t_comp = None
        print(f"{label:>7}: Numba not installed: no compiled figures", flush=True)
    if old is not None:
        t0 = time.process_time()
        before = run(old, many, turns)
        t_old = time.process_time() - t0
        print(
            f"{label:>7}: baseline {BASELINE_COMMIT} {t_old:7.2f} s, baseline / now = "
            f"{t_old / t_batch:5.2f}; max |now - baseline| = "
            f"{np.abs(before - together).max():.1e}",
            flush=True,
        )
    k = min(args.loop_draws, n)
    t0 = time.process_time()
    alone = [run(model, many.take_samples(s), turns) for s in range(k)]
    t_loop = (time.process_time() - t0) / k * n
    diff = np.abs(np.concatenate(alone) - together[:k]).max()
    print(
        f"{label:>7}: per-draw loop of the batched model {t_loop:8.1f} s (timed on {k} draws, "
        f"{1e3 * t_loop / n:.2f} ms/draw) -> batched NumPy is x{t_loop / t_batch:.1f} faster"
        + ("" if t_comp is None else f", compiled x{t_loop / t_comp:.1f}")
        + f"; max |batched - looped| = {diff:.1e}",
        flush=True,
    )
    k = min(args.ref_draws, n)
    t0 = time.process_time()
    plain = np.array([reference_smp.forecast(many, s, turns) for s in range(k)])
    t_ref = (time.process_time() - t0) / k * n
    diff = np.abs(plain - together[:k]).max()
    print(
        f"{label:>7}: plain-Python reference loop {t_ref:8.1f} s (timed on {k} draws, "
        f"{1e3 * t_ref / n:.1f} ms/draw) -> batched NumPy is x{t_ref / t_batch:.1f} faster"
        + ("" if t_comp is None else f", compiled x{t_ref / t_comp:.1f}")
        + f"; max |batched - reference| = {diff:.1e}",
        flush=True,
    )


def single_runs() -> None:
    model = get_model("smp")
    cases = {
        "27x6": SMP_DIR / "dummyData_6Dim.csv",
        "40x1": SMP_DIR / "dummyData-a040.csv",
        "13x2": SMP_DIR / "SOE-Pol-Comp.csv",
    }
    for label, path in cases.items():
        a = read_ktab(path).arrays
        model.simulate(a, 1, np.random.default_rng(0))  # warm-up (imports, caches)
        t0 = time.perf_counter()
        sim = model.simulate(a, None, np.random.default_rng(0))
        dt = time.perf_counter() - t0
        ktab = KTAB_PUBLISHED[label]
        print(
            f"{label:>5}: single run to the stop rule, {int(sim.turns[0])} turns: {dt:6.3f} s "
            f"(KTAB 1.4 published: {ktab} s; KTAB / detente = {ktab / dt:.1f})",
            flush=True,
        )


def random_actors(n: int, d: int, s: int, rng: np.random.Generator) -> ScenarioArrays:
    """``s`` samples of ``n`` random actors on ``d`` issues (positions 0..100)."""
    pos = rng.uniform(0.0, 100.0, (s, n, d))
    sal = rng.uniform(0.2, 1.0, (s, n, d)) / d
    cap = rng.lognormal(3.0, 1.0, (s, n, 1))
    return ScenarioArrays.from_table(
        pos,
        sal,
        cap,
        mask=np.ones((n, d), dtype=bool),
        scale_min=np.zeros(d),
        scale_max=np.full(d, 100.0),
        actor_ids=tuple(f"a{i}" for i in range(n)),
        issue_ids=tuple(f"i{j}" for j in range(d)),
    )


def exponent(args) -> None:
    """CPU time of one SMP turn against N, and the fitted exponent (section 4)."""
    model = get_model("smp")
    sizes = [20, 40, 80, 160, 320]
    paths = {"NumPy": 10**12}
    if numba_available():
        paths["compiled"] = 0
    threshold = smp.NUMBA_MIN_SAMPLES
    for path, min_samples in paths.items():
        smp.NUMBA_MIN_SAMPLES = min_samples
        ns, ts = [], []
        for n in sizes:
            if path == "compiled" and not smp._kernel_applies(model.options, n, args.exp_issues):
                continue
            a = random_actors(n, args.exp_issues, args.exp_samples, np.random.default_rng(n))
            run(model, a.take_samples(np.arange(1)), 1)  # warm-up (kernel load, caches)
            best = np.inf
            for _ in range(args.exp_repeat):
                t0 = time.process_time()
                run(model, a, 1)
                best = min(best, time.process_time() - t0)
            per = best / args.exp_samples
            ns.append(n)
            ts.append(per)
            step = ""
            if len(ns) > 1:
                k = np.log(ts[-1] / ts[-2]) / np.log(n / ns[-2])
                step = f"; exponent from N={ns[-2]}: {k:.2f}"
            print(f"  SMP {path}: N={n:4d}, one turn {1e3 * per:9.3f} ms per sample{step}")
        if len(ns) > 1:
            k = np.polyfit(np.log(ns), np.log(ts), 1)[0]
            print(f"  SMP {path}: CPU per turn ~ N^{k:.2f} over N = {ns[0]}..{ns[-1]}")
    smp.NUMBA_MIN_SAMPLES = threshold


#: The commit before the issue-23 kernel work (``--blocks``' default baseline).
BLOCKS_BASELINE = "ada617f"


def mc_blocks(n_blocks: int, seed: int = 0) -> list[ScenarioArrays]:
    """The arrays of Monte Carlo blocks ``0 .. n_blocks - 1`` of the default scenario, as
    ``detente montecarlo --seed SEED`` compiles them (256 draws each)."""
    from detente.analyses import montecarlo as mc
    from detente.scenario.parameters import compile_all, draw_values, uncertain_parameters

    sc = load_scenario("russia-nato-2021")
    params = uncertain_parameters(sc)
    b = mc.BLOCK_SIZE
    values = draw_values(params, b * n_blocks, mc.inputs_rng(seed))
    pie_zero = mc.CrisisOptions().pie_zero
    return [
        compile_all(
            sc, params, values[:, k * b : (k + 1) * b], mc.block_rng(seed, k), pie_zero, "x"
        ).arrays
        for k in range(n_blocks)
    ]


def compare_blocks(label: str, blocks: list, current, baseline, repeat: int) -> None:
    """CPU per block of ``current(block)`` and ``baseline(block)`` (each returns an array),
    interleaved, best of ``repeat``; prints both, the ratio and whether every output is the
    same bit for bit. ``baseline`` None: the current figure only."""
    fns = {"now": current} if baseline is None else {"now": current, "baseline": baseline}
    outs = {name: [fn(b) for b in blocks] for name, fn in fns.items()}  # warm: load, compile
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.process_time()
            for b in blocks:
                fn(b)
            best[name] = min(best[name], (time.process_time() - t0) / len(blocks))
    text = f"{label:<8} CPU per 256-draw block: now {best['now'] * 1e3:7.2f} ms"
    if baseline is not None:
        same = all(np.array_equal(x, y) for x, y in zip(outs["now"], outs["baseline"], strict=True))
        text += (
            f", baseline {best['baseline'] * 1e3:7.2f} ms, ratio now/baseline "
            f"{best['now'] / best['baseline']:.2f}, same bits: {same}"
        )
    print(text, flush=True)


def block_args(ap: argparse.ArgumentParser) -> None:
    """The ``--blocks`` options shared by bench_smp, bench_bdm and bench_nbs."""
    ap.add_argument(
        "--blocks",
        type=int,
        default=0,
        help="only: CPU per Monte Carlo block of the default scenario (this many blocks), "
        "single-threaded, against --block-baseline in the same process",
    )
    ap.add_argument("--block-baseline", default=BLOCKS_BASELINE, help="commit, or 'none'")
    ap.add_argument("--block-repeat", type=int, default=5)


def smp_blocks(args) -> None:
    """``--blocks``: the SMP kernel (``run_samples``) now and at ``--block-baseline``."""
    import numba

    smp.KERNEL_THREADS = 1
    os.environ.setdefault("DETENTE_COMPILE", "now")
    model = get_model("smp")
    o = model.options
    inputs = [model._inputs(a)[:3] for a in mc_blocks(args.blocks)]
    now = smp._compiled_kernel()

    def run_with(kernel):
        return lambda inp: smp._run_kernel(kernel, *inp, o.max_iter, o)[0]

    old = None
    if args.block_baseline != "none":
        mod = module_at_commit(
            args.block_baseline, "src/detente/models/_smp_kernel.py", "smp_kernel_baseline"
        )
        if mod is not None:
            old = run_with(numba.njit(nogil=True, error_model="numpy")(mod.run_samples))
    compare_blocks("smp", inputs, run_with(now), old, args.block_repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--turns", type=int, default=1)
    ap.add_argument("--loop-draws", type=int, default=100)
    ap.add_argument("--ref-draws", type=int, default=5)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--exponent", action="store_true", help="also section 4 (cost vs N)")
    ap.add_argument("--exponent-only", action="store_true", help="only section 4")
    ap.add_argument("--exp-issues", type=int, default=2)
    ap.add_argument("--exp-samples", type=int, default=4)
    ap.add_argument("--exp-repeat", type=int, default=3)
    block_args(ap)
    args = ap.parse_args()
    if args.blocks:
        smp_blocks(args)
        return
    if args.exponent_only:
        exponent(args)
        return
    if not SMP_DIR.is_dir():
        sys.exit(f"KTAB data not found under {SMP_DIR} (set DETENTE_SHARED)")
    start = time.perf_counter()  # wall
    print(f"numpy {np.__version__}, {os.cpu_count()} CPU(s) visible", flush=True)
    old = None if args.no_baseline else baseline_model()
    if old is None and not args.no_baseline:
        print(f"baseline {BASELINE_COMMIT} not found in git: no before/after ratio")
    single_runs()
    sc = load_scenario("russia-nato-2021")
    default = compile_scenario(sc, args.draws, np.random.default_rng(2024))
    batch_vs_loop("default", default, None, args, old)
    a30 = read_ktab(SMP_DIR / "dummyData-a040.csv").arrays.take_actors(np.arange(30))
    batch_vs_loop(
        "30x1", draws(a30, args.draws, np.random.default_rng(2024)), args.turns, args, old
    )
    if args.exponent:
        exponent(args)
    print(f"total benchmark time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
