"""Monte Carlo over every uncertain input: distributions of forecasts, agreement, ratification
and escalation, on one machine or many.

Reproducibility (the same seed gives byte-identical JSON whatever the backend, worker count or
chunk size) rests on three rules:

1. **Inputs are drawn once, in the driver.** ``SeedSequence(seed, spawn_key=(0,))`` seeds one
   generator that draws every uncertain input for all ``N`` samples
   (:func:`detente.scenario.parameters.draw_values`: a (P, N) matrix, small).
2. **Work is done in fixed blocks.** Samples are cut into blocks of ``block_size`` (default
   256) that never change with the chunking; block ``k`` holds samples ``k*B .. (k+1)*B - 1``.
   Every block is compiled and run through the models and analyses on its own, so a model
   whose stopping rule looks at the whole batch sees the same batch whatever the chunking. Any
   randomness inside a block comes from ``SeedSequence(seed, spawn_key=(1, k))`` (bloc
   members' spread in the ratification compile) and ``SeedSequence(seed, spawn_key=(1, k,
   crc32(spec)))`` (each model's own generator, e.g. stochastic SMP): keyed by the block and
   the model, never by the chunk, the worker or the other models in the run.
3. **Statistics are computed in the driver** from the per-sample results put back in sample
   order. A chunk (the unit sent to a worker) is a run of whole blocks; its size only changes
   how work is spread.

``block_size`` is therefore part of what a seed means and is recorded in the output; backend,
workers and chunk size are not (they cannot change a number).

Backends: ``local`` (this process), ``processes`` (``concurrent.futures.ProcessPoolExecutor``),
``dask`` (a ``LocalCluster``, or an existing cluster at a scheduler address) and ``auto``
(processes for large runs on a machine with two CPUs or more, else local:
:func:`resolve_backend`). The driver
ships each chunk the scenario, the parameter list and the chunk's (P, n) values.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from detente.analyses.crisis import CrisisOptions, analyse_crisis
from detente.analyses.forked import usable_cpus
from detente.analyses.outcome import OutcomeOptions, signatories
from detente.analyses.ratification import passes
from detente.models import _numba
from detente.scenario.parameters import Parameter, compile_all, draw_values, uncertain_parameters

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario

Backend = Literal["local", "processes", "dask", "auto"]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BLOCK_SIZE = 256
HISTOGRAM_BINS = 20
#: spawn keys of the run's SeedSequence children (see the module docstring)
INPUTS_KEY, BLOCKS_KEY = 0, 1
#: the form key of a scenario without agreement forms (nothing to ratify)
NO_FORM = "-"
#: draws needed on each side (range open, range closed) before inputs are named as drivers
MIN_DRAWS_FOR_DRIVERS = 10


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to run a block: picklable, identical on every worker."""

    scenario: Scenario
    params: tuple[Parameter, ...]
    models: tuple[str, ...]
    seed: int
    block_size: int = BLOCK_SIZE
    crisis_options: CrisisOptions = field(default_factory=CrisisOptions)
    name: str = "scenario"
    outcome_options: OutcomeOptions = field(default_factory=OutcomeOptions)
    model_error: Literal["include", "ignore"] = "include"
    #: the outcome model's signatories, found once from the centres (None: find them per block)
    signers: tuple[str, ...] | None = None
    #: also return the whole crisis analysis of every draw (``crisis/...`` keys), not only the
    #: escalation figures: :func:`detente.api.crisis` takes its intervals from it
    keep_crisis: bool = False


def block_rng(seed: int, block: int, model: str | None = None) -> np.random.Generator:
    """Generator of block ``block``: keyed by the block index, never by chunk or worker.

    ``model=None`` gives the generator of the compile (bloc members' spread); a model spec
    gives that model's own generator, keyed by the spec, so that a stochastic model draws the
    same numbers whichever other models run beside it.
    """
    key: tuple[int, ...] = (BLOCKS_KEY, block)
    if model is not None:
        key += (zlib.crc32(model.encode("utf-8")),)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def inputs_rng(seed: int) -> np.random.Generator:
    """The generator that draws every uncertain input in the driver."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(INPUTS_KEY,)))


def run_block(
    plan: Plan, values: np.ndarray, block: int
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Compile one block from its values and run every model and analysis on it.

    Returns per-sample results keyed ``forecast/<model>`` (n, D), ``agreement/<model>`` (n, D)
    for models that can report no agreement, ``escalation/<model>`` and ``escalation/offer``
    (n,) when the scenario has a crisis section, and ``ratified/<form>/<model>`` and
    ``ratified/<form>/proposal:<id>`` (n,) when it has forms; and the models that could not
    run, with the reason.
    """
    from detente.models.base import Model
    from detente.models.spec import make_model

    comp = compile_all(
        plan.scenario,
        list(plan.params),
        values,
        block_rng(plan.seed, block),
        plan.crisis_options.pie_zero,
        plan.name,
    )
    arrays = comp.arrays
    out: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    forecasts: dict[str, np.ndarray] = {}
    for spec in plan.models:
        model = make_model(spec)
        model_rng = block_rng(plan.seed, block, spec)
        try:
            if type(model).forecast is Model.forecast:  # simulate also says where no agreement
                sim = model.simulate(arrays, None, model_rng)
                fc, agree = sim.final, sim.agreement
            else:
                fc, agree = model.forecast(arrays, model_rng), None
        except ValueError as exc:
            skipped[spec] = str(exc)
            continue
        if plan.model_error == "include":
            fc = with_model_error(fc, model.describe(), arrays, plan.seed, block, spec)
        forecasts[spec] = fc
        out[f"forecast/{spec}"] = np.asarray(fc, dtype=float)
        if agree is not None:
            out[f"agreement/{spec}"] = np.asarray(agree, dtype=bool)
    if comp.crisis is not None:
        # each package as the headline form carries it, as the outcome model reads it
        first = (
            comp.ratification.forms[0] if comp.ratification and comp.ratification.forms else None
        )
        carry = first.carry if first is not None else (lambda x: x)
        res = analyse_crisis(
            comp.crisis, arrays, {k: carry(v) for k, v in forecasts.items()}, plan.crisis_options
        )
        out["escalation/offer"] = res["offer"]["escalation"]
        for spec in forecasts:
            out[f"escalation/{spec}"] = res["models"][spec]["escalation"]
        if plan.keep_crisis:
            _flatten_per_draw(res, "crisis", arrays.n_samples, out)
    rat = comp.ratification
    if rat is not None:
        packages = {spec: fc for spec, fc in forecasts.items()}
        packages.update(
            {f"proposal:{pid}": rat.packages[:, p] for p, pid in enumerate(rat.proposal_ids)}
        )
        # every package at once, (n, P, D): a body that ratifies several forms (a council
        # voting on a declaration and on a political agreement) votes once per package and
        # per distinct commitment (forms that fix the same issues at the same values share it)
        stacked = np.stack([np.asarray(x, dtype=float) for x in packages.values()], axis=1)
        votes: dict[tuple, np.ndarray] = {}
        for form in rat.forms:
            carried = form.carry(stacked)
            for k in form.bodies:
                if (k, form.fixed, form.bounded) not in votes:
                    votes[(k, form.fixed, form.bounded)] = passes(carried, rat.bodies[k])
        for p, key in enumerate(packages):
            for form in rat.forms:
                ok = np.ones(stacked.shape[0], dtype=bool)
                for k in form.bodies:
                    ok &= votes[(k, form.fixed, form.bounded)][:, p]
                out[f"ratified/{form.id}/{key}"] = ok
    _outcome_block(plan, comp, forecasts, out)
    return out, skipped


#: joins the path of a nested result in a flat key: a character no model spec (which may hold
#: a file path) or result name contains
PATH_SEP = "\x1f"


def _flatten_per_draw(tree: Any, prefix: str, n: int, out: dict[str, np.ndarray]) -> None:
    """Every array of a nested result whose first axis is the draws, under keys
    ``prefix␟a␟b`` (:data:`PATH_SEP`), so that blocks concatenate like every other result;
    other leaves are left out.

    >>> out = {}
    >>> _flatten_per_draw({"a": {"b": np.zeros(3), "c": "x"}, "d": np.ones(2)}, "k", 3, out)
    >>> [key.split(PATH_SEP) for key in out]
    [['k', 'a', 'b']]
    """
    if isinstance(tree, dict):
        for key, value in tree.items():
            _flatten_per_draw(value, f"{prefix}{PATH_SEP}{key}", n, out)
    elif isinstance(tree, np.ndarray) and tree.ndim >= 1 and tree.shape[0] == n:
        out[prefix] = tree


def _unflatten(flat: dict[str, np.ndarray], prefix: str) -> dict[str, Any]:
    """The nested result back from :func:`_flatten_per_draw`'s keys.

    >>> _unflatten({"k\x1fa\x1fb": 1, "k\x1fd": 2, "z": 3}, "k")
    {'a': {'b': 1}, 'd': 2}
    """
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        if not key.startswith(prefix + PATH_SEP):
            continue
        *path, leaf = key[len(prefix) + 1 :].split(PATH_SEP)
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def _outcome_block(plan: Plan, comp: Any, forecasts: dict[str, np.ndarray], out: dict) -> None:
    """Per-draw branches of the outcome model (:mod:`detente.analyses.outcome`) for every
    model's deal and every proposal, in every form: ``signed/<form>/<key>`` (n,),
    ``accepts/<form>/<key>`` (n, K) and ``outcome/escalation_no_deal`` (n,)."""
    from detente.analyses.outcome import SigningRule, acceptable_range, form_terms, signatories

    arrays, rat = comp.arrays, comp.ratification
    packages = dict(forecasts)
    if rat is not None:
        packages.update(
            {f"proposal:{pid}": rat.packages[:, p] for p, pid in enumerate(rat.proposal_ids)}
        )
    if rat is not None:
        for p in range(len(rat.proposal_ids)):
            out[f"package/{p}"] = rat.packages[:, p]
    forms = [f.id for f in rat.forms] if rat is not None and rat.forms else [NO_FORM]
    # from the centres, the same in every block
    who = list(plan.signers) if plan.signers is not None else signatories(plan.scenario)
    # what depends on neither the deal nor the form, once per block
    rule = SigningRule(arrays, crisis=comp.crisis, options=plan.outcome_options, required=who)
    # every deal at once, (n, P, D): signed per form in one pass (the same bits as one by one)
    keys = list(packages)
    stacked = (
        np.stack([np.asarray(x, dtype=float) for x in packages.values()], axis=1) if keys else None
    )
    carried: dict[tuple, tuple] = {}  # deals and shares per commitment: forms share them
    for form in forms:
        _, hazard, horizon = form_terms(rat, None if form == NO_FORM else form, arrays.n_samples)
        carry = rat.form(form).carry if form != NO_FORM else (lambda x: x)
        commits = (rat.form(form).fixed, rat.form(form).bounded) if form != NO_FORM else ()
        if comp.crisis is not None:
            rng_ = acceptable_range(arrays, comp.crisis, hazard, plan.outcome_options, rule=rule)
            # open: some package would be signed by all, and the talks can finish in time
            out[f"range_open/{form}"] = ~rng_["empty"] & comp.crisis.ready()
        if stacked is None:
            continue
        if commits not in carried:
            deals = carry(stacked)
            carried[commits] = (deals, rule.shares(deals))
        deals, shares = carried[commits]
        sig = rule.sign_many(deals, rule.form(hazard, horizon), shares)
        for p, key in enumerate(keys):
            out[f"signed/{form}/{key}"] = np.ascontiguousarray(sig["signed"][p])
            out[f"accepts/{form}/{key}"] = np.ascontiguousarray(sig["accepts"][p])
        out["outcome/escalation_no_deal"] = sig["escalation_no_deal"]
        out["outcome/ready"] = sig["ready"]


def with_model_error(
    fc: np.ndarray,
    description: dict[str, Any],
    arrays: Any,
    seed: int,
    block: int,
    spec: str,
) -> np.ndarray:
    """A fitted model's forecasts plus its validated error, so intervals are honest.

    A model whose ``describe()`` gives ``validated_error`` (the out-of-fold mean absolute error
    on its training domain, in points of a 0-100 scale) gets, per draw and issue, an error
    drawn from the Laplace distribution with that mean absolute deviation (scaled to the
    issue's width), clipped to the scale. The Laplace is the maximum-entropy law for a given
    mean absolute error. The error generator is keyed by the block and the model, like every
    other draw inside a block. Models without a validated error are returned unchanged.

    Issues the scenario's rules decide (``controlled_by``, ``veto``: the issue-control rule of
    :mod:`detente.models.base` sets them, not the fitted model) get no error: the error was
    measured where the model decides.
    """
    err = description.get("validated_error")
    if not err:
        return fc
    b = float(err["mae"]) / 100.0 * arrays.scale_width  # (D,)
    ruled = np.zeros(np.shape(b), dtype=bool)
    if arrays.controlled_by is not None:
        ruled |= np.array([c is not None for c in arrays.controlled_by])
    if arrays.veto is not None:
        ruled |= np.array([bool(v) for v in arrays.veto])
    b = np.where(ruled, 0.0, b)
    rng = block_rng(seed, block, f"{spec}/model-error")
    noisy = np.asarray(fc, dtype=float) + rng.laplace(0.0, 1.0, size=np.shape(fc)) * b
    return np.clip(noisy, arrays.scale_min, arrays.scale_max)


def run_chunk(
    plan: Plan,
    values: np.ndarray,
    first_block: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Run the whole blocks of one chunk (values of consecutive samples starting at a block).

    ``progress`` is called with the number of samples done after each block (it may raise to
    stop the run).
    """
    parts, skipped = [], {}
    b = plan.block_size
    n = values.shape[1]
    for k in range(math.ceil(n / b)):
        res, sk = run_block(plan, values[:, k * b : (k + 1) * b], first_block + k)
        parts.append(res)
        skipped.update(sk)
        if progress is not None:
            progress(min(n, (k + 1) * b))
    return _concat(parts), skipped


#: glibc ``mallopt`` parameters and the values :func:`retain_freed_memory` sets
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 256 * 2**20
_TRIM_THRESHOLD = 1024 * 2**20
_retained = False


def retain_freed_memory() -> None:
    """Let the C allocator keep freed memory for the next block (glibc only; once per process).

    A block allocates and frees a few hundred arrays of up to tens of megabytes (the bodies'
    members x issues x draws, the votes' draws x packages x members). By default glibc serves
    such arrays with fresh ``mmap`` pages or trims the heap when they are freed, so every
    block pays the kernel's page faults and zeroing again (about a tenth of a block's time
    outside the model kernels). Raising the ``mmap`` and trim thresholds keeps the memory in
    the heap, at the cost of the process holding its peak use until it exits. Numbers are not
    affected. ``DETENTE_MALLOC=default`` leaves the allocator alone.

    Only short-lived processes call it: the worker processes (:func:`_worker_init`) and the
    CLI's ``montecarlo`` command. A program that imports detente (the workbench's server, a
    notebook) keeps its allocator's defaults.
    """
    global _retained
    if _retained or os.environ.get("DETENTE_MALLOC") == "default":
        return
    _retained = True
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        if not hasattr(libc, "gnu_get_libc_version"):
            return  # not glibc: its mallopt parameters may mean other things
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = set().union(*parts) if parts else set()
    # a key missing from a part (its model failed there) is dropped in the driver
    return {k: np.concatenate([p[k] for p in parts]) for k in keys if all(k in p for p in parts)}


def chunks(
    samples: int, block_size: int, chunk_size: int | None, start: int = 0
) -> list[tuple[int, int]]:
    """(first sample, stop) of each chunk: runs of whole blocks of about ``chunk_size`` samples,
    from sample ``start`` (a multiple of ``block_size``).

    >>> chunks(1000, 256, 500)
    [(0, 512), (512, 1000)]
    >>> chunks(1000, 256, 500, start=256)
    [(256, 768), (768, 1000)]
    """
    per = max(1, math.ceil((chunk_size or samples) / block_size)) * block_size
    return [(a, min(a + per, samples)) for a in range(start, samples, per)]


#: Draws from which ``backend="auto"`` runs on worker processes (when there are two CPUs or
#: more): below, the run is shorter than what a second process saves.
AUTO_PROCESSES_MIN = 2048


def resolve_backend(backend: str, samples: int, scheduler: str | None = None) -> Backend:
    """The backend ``"auto"`` stands for: ``"processes"`` from :data:`AUTO_PROCESSES_MIN`
    draws on a machine with two usable CPUs or more, else ``"local"``; any other name as
    given. The backend never changes a number (module docstring)."""
    if backend != "auto":
        return backend  # type: ignore[return-value]
    if scheduler:
        return "dask"
    if samples >= AUTO_PROCESSES_MIN and usable_cpus() >= 2:
        return "processes"
    return "local"


#: draws of the driver's warm-up block on worker processes (:func:`_warm_up`): enough for every
#: model's arrays to have the shapes of a full block's (a few draws of each)
WARM_UP_DRAWS = 4


def _warm_up(plan: Plan, values: np.ndarray) -> None:
    """Run one small block of ``values`` in the driver, its results discarded, before it forks
    the worker processes: the models' imports, the compiled kernels (taken whatever the batch
    size, :func:`detente.models.warm.compiled_paths`) and the analyses' lazy imports are loaded
    once, here, and every forked worker starts with them. The block's results depend only on
    its own values and block number, so this changes no number of the run."""
    from detente.models.warm import compiled_paths

    with compiled_paths():
        try:
            run_block(plan, values[:, :WARM_UP_DRAWS], 0)
        except Exception:  # only loading is at stake: the workers' blocks report any error
            pass


#: the run's plan in a worker process, set once when the worker starts (:func:`_worker_init`)
_worker_plan: Plan | None = None


def _worker_init(plan: Plan | None = None) -> None:
    # Ctrl-C is the driver's to handle: workers finish their chunk and the driver cancels
    import signal

    import detente.models.bdm
    import detente.models.smp

    global _worker_plan
    _worker_plan = plan
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    retain_freed_memory()
    detente.models.bdm.KERNEL_THREADS = 1  # the workers already share out the CPUs
    detente.models.smp.KERNEL_THREADS = 1


def _run_worker_chunk(
    values: np.ndarray, first_block: int
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """:func:`run_chunk` on the plan the worker was started with: a task carries only its
    values, not the plan (whose scenario costs about 8 ms to pickle and unpickle)."""
    if _worker_plan is None:
        raise RuntimeError("a worker runs chunks only after _worker_init(plan)")
    return run_chunk(_worker_plan, values, first_block)


def _execute(
    plan: Plan,
    values: np.ndarray,
    spans: list[tuple[int, int]],
    backend: Backend,
    workers: int | None,
    scheduler: str | None,
) -> Iterator[tuple[int, tuple[dict[str, np.ndarray], dict[str, str]]]]:
    """Yield (chunk index, result) as chunks finish, on the chosen backend."""
    b = plan.block_size
    args = [(plan, values[:, a:z], a // b) for a, z in spans]
    if backend == "local":
        for i, a in enumerate(args):
            yield i, run_chunk(*a)
        return
    if backend == "processes":
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # the driver loads the models and kernels on a few draws (_warm_up), so that workers
        # forked from it (the start method on Linux) have them loaded and only run blocks;
        # the workers run every chunk, the first one included
        _warm_up(plan, values)
        # the plan goes to each worker once, when it starts (inherited as it is where workers
        # are forked, pickled once per worker elsewhere); each task carries its values only
        pool = ProcessPoolExecutor(
            max_workers=workers or usable_cpus(), initializer=_worker_init, initargs=(plan,)
        )
        try:
            futures = {pool.submit(_run_worker_chunk, a[1], a[2]): i for i, a in enumerate(args)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    if backend == "dask":
        from dask.distributed import Client, LocalCluster, as_completed

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(
                n_workers=workers or 1,
                threads_per_worker=1,
                processes=False,  # threads: the work is NumPy, which releases the GIL
                protocol="tcp",  # on loopback, so tasks cross the wire as on a real cluster
                host="127.0.0.1",
                dashboard_address=None,
            )
            client = Client(cluster)
        try:
            plan_f = client.scatter(plan, broadcast=True)
            futures = [client.submit(run_chunk, plan_f, a[1], a[2], pure=False) for a in args]
            index = {f.key: i for i, f in enumerate(futures)}
            try:
                for fut in as_completed(futures):
                    yield index[fut.key], fut.result()
            except BaseException:
                client.cancel(futures)
                raise
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    raise ValueError(f"unknown backend {backend!r}; allowed: local, processes, dask, auto")


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def summarise(values: np.ndarray, lo: float, hi: float) -> dict[str, Any]:
    """Mean, quantiles and a histogram of one issue's outcomes over the draws.

    The histogram has :data:`HISTOGRAM_BINS` equal bins over the issue's scale.

    >>> s = summarise(np.array([0.0, 50.0, 100.0]), 0.0, 100.0)
    >>> s["mean"], s["quantiles"]["50"], sum(s["histogram"]["counts"])
    (50.0, 50.0, 3)
    """
    v = np.asarray(values, dtype=float)
    q = np.quantile(v, QUANTILES)
    counts, edges = np.histogram(v, bins=HISTOGRAM_BINS, range=(lo, hi))
    return {
        "mean": _num(v.mean()),
        "sd": _num(v.std()),
        "quantiles": {f"{round(100 * p)}": _num(x) for p, x in zip(QUANTILES, q, strict=True)},
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    }


def run_montecarlo(
    scenario: Scenario,
    samples: int,
    seed: int = 0,
    models: list[str] | None = None,
    *,
    backend: Backend = "local",
    workers: int | None = None,
    chunk_size: int | None = None,
    scheduler: str | None = None,
    block_size: int = BLOCK_SIZE,
    crisis_options: CrisisOptions | None = None,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
    outcome_options: OutcomeOptions | None = None,
    keep_draws: bool = False,
    model_error: Literal["include", "ignore"] = "include",
    keep_crisis: bool = False,
) -> dict[str, Any]:
    """Run every requested model and analysis over ``samples`` draws of the uncertain inputs.

    Parameters
    ----------
    scenario
        A validated scenario.
    samples
        Number of draws ``N`` (>= 1).
    seed
        Seed of the run's ``SeedSequence`` (module docstring).
    models
        Model specs; default the Monte Carlo models
        (:func:`detente.models.base.monte_carlo_models`).
    backend, workers, chunk_size, scheduler
        Where the chunks run; none of them changes a number. ``"auto"``: see
        :func:`resolve_backend`. ``chunk_size`` (samples per task, rounded up to whole
        blocks) defaults to one block locally and on worker processes (which then share the
        blocks out evenly; a task carries no plan) and to about four chunks per worker on Dask.
    block_size
        Samples per block: part of what a seed means (module docstring).
    crisis_options
        Options of the crisis analyses (recorded in the output).
    source
        Scenario name recorded in the output.
    progress
        Called with the number of samples finished each time a chunk finishes.
    outcome_options
        Options of the outcome model (:mod:`detente.analyses.outcome`; recorded).
    keep_draws
        Also return ``draws``: each model's per-sample forecasts (S, D), not JSON-ready.
    model_error
        ``"include"`` adds a fitted model's validated error to its draws
        (:func:`with_model_error`; recorded per model), ``"ignore"`` shows input uncertainty
        alone.
    keep_crisis
        Also return ``crisis_draws``: the whole crisis analysis
        (:func:`detente.analyses.crisis.analyse_crisis`) of every draw, as nested dicts of
        per-draw arrays (not JSON-ready); the scenario must have a crisis section.

    Returns
    -------
    dict
        JSON-ready: per issue and model the mean, sd, quantiles (5, 25, 50, 75, 95) and a
        histogram, and ``p_solution`` where the model can report that it has no solution (the
        NBS: no point every actor prefers to the status quo); P(ratification) per form
        of each model's outcome and of each proposal; P(escalation) per model and at the
        proposer's optimal offer.
    """
    from detente.models.base import monte_carlo_models
    from detente.models.spec import make_model

    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    if scheduler and backend not in ("dask", "auto"):
        raise ValueError(f"a scheduler address needs backend='dask', not {backend!r}")
    backend = resolve_backend(backend, samples, scheduler)
    specs = list(models) if models else monte_carlo_models()
    described = {spec: make_model(spec).describe() for spec in specs}  # fails early on bad specs
    crisis_options = crisis_options or CrisisOptions()
    params = uncertain_parameters(scenario)
    values = draw_values(params, samples, inputs_rng(seed))
    plan = Plan(
        scenario=scenario,
        params=tuple(params),
        models=tuple(specs),
        seed=seed,
        block_size=block_size,
        crisis_options=crisis_options,
        name=source or scenario.meta.title,
        outcome_options=outcome_options or OutcomeOptions(),
        model_error=model_error,
        signers=tuple(signatories(scenario)),
        keep_crisis=keep_crisis,
    )
    if chunk_size is None:
        # one block per chunk locally (the progress bar moves) and on worker processes (they
        # share the blocks out evenly, and a task carries only its values); on Dask about four
        # chunks per worker, so as not to drown the scheduler in tiny tasks
        n_workers = workers or (1 if scheduler else usable_cpus())
        chunk_size = (
            block_size
            if backend in ("local", "processes")
            else math.ceil(samples / (4 * n_workers))
        )
    spans = chunks(samples, block_size, chunk_size)
    results: list[dict[str, np.ndarray] | None] = [None] * len(spans)
    skipped: dict[str, str] = {}
    done = 0
    for i, (res, sk) in _execute(plan, values, spans, backend, workers, scheduler):
        results[i] = res
        skipped.update(sk)
        done += spans[i][1] - spans[i][0]
        if progress is not None:
            progress(done)
    merged = _concat([r for r in results if r is not None])
    # a model that failed on any block is left out altogether (the blocks never change, so
    # neither does this); the first reason in block order is reported
    for spec in skipped:
        merged = {
            k: v
            for k, v in merged.items()
            if not k.endswith(f"/{spec}")
            and not k.startswith(PATH_SEP.join(("crisis", "models", spec, "")))
        }
    out = _report(scenario, plan, merged, skipped, described, samples, source)
    if out["outcome"].get("p_range_open"):
        out["outcome"]["range_open_drivers"] = _range_drivers(scenario, params, values, merged)
    if keep_draws:  # per-sample forecasts for callers that diagnose them (not JSON)
        ran = [s for s in plan.models if s not in skipped]
        out["draws"] = {s: merged[f"forecast/{s}"] for s in ran}
    if keep_crisis:
        out["crisis_draws"] = _unflatten(merged, "crisis")
    return out


def _report(
    scenario: Scenario,
    plan: Plan,
    res: dict[str, np.ndarray],
    skipped: dict[str, str],
    described: dict[str, dict],
    samples: int,
    source: str | None,
) -> dict[str, Any]:
    ran = [s for s in plan.models if s not in skipped]
    issues: dict[str, Any] = {}
    for j, issue in enumerate(scenario.issues):
        per_model = {}
        for spec in ran:
            entry = summarise(res[f"forecast/{spec}"][:, j], issue.scale.min, issue.scale.max)
            agree = res.get(f"agreement/{spec}")
            if agree is not None:
                # the model's own solution exists (NBS: a point every actor prefers to the
                # status quo); not the outcome model's P(agreement), which is in "outcome"
                entry["p_solution"] = float(agree[:, j].mean())
            per_model[spec] = entry
        issues[issue.id] = per_model
    out: dict[str, Any] = {
        "scenario": source or scenario.meta.title,
        "samples": samples,
        "seed": plan.seed,
        "block_size": plan.block_size,
        "kernels": _numba.kernels(),  # "numba": compiled BDM/exchange/SMP kernels; or "numpy"
        "uncertain_inputs": len(plan.params),
        "quantiles": [round(100 * q) for q in QUANTILES],
        "model_error": plan.model_error,
        "models": {s: described[s] for s in ran},
        "skipped": {s: skipped[s] for s in plan.models if s in skipped},
        "issues": issues,
        "ratification": None,
        "escalation": None,
    }
    if scenario.forms:
        out["ratification"] = {
            form.id: {
                "name": form.name,
                "models": {s: float(res[f"ratified/{form.id}/{s}"].mean()) for s in ran},
                "proposals": {
                    p.id: float(res[f"ratified/{form.id}/proposal:{p.id}"].mean())
                    for p in scenario.proposals
                },
            }
            for form in scenario.forms
        }
    if scenario.crisis is not None:
        out["escalation"] = {
            "options": plan.crisis_options.describe(),
            "meaning": "conditional: P(escalation) if the package were offered as a "
            "take-it-or-leave-it deal (rejection by the proposer's belief, B.2, or an accident "
            "by the deadline, B.5); the headline P(escalation) is outcome.models",
            "offer": float(res["escalation/offer"].mean()),
            "models": {s: float(res[f"escalation/{s}"].mean()) for s in ran},
        }
    out["outcome"] = outcome_section(scenario, plan, res, ran)
    return out


def _range_drivers(
    scenario: Scenario, params: list[Parameter], values: np.ndarray, res: dict[str, np.ndarray]
) -> list[dict[str, Any]]:
    """The uncertain inputs that differ most between draws where some package would be signed
    by all (the acceptable range is open, headline form) and draws where none would.

    The difference of means in units of the input's sd over all draws; the top three. It says
    what would have to be true for a deal, in the scenario's own terms.
    """
    form = scenario.forms[0].id if scenario.forms else NO_FORM
    key = f"range_open/{form}"
    if key not in res:
        return []
    open_ = np.asarray(res[key], dtype=bool)
    if min(int(open_.sum()), int((~open_).sum())) < MIN_DRAWS_FOR_DRIVERS:
        return []  # too few draws on one side to tell a driver from noise
    rows = []
    for k, p in enumerate(params):
        if p.section == "ratification" and not p.label.startswith("forms."):
            continue  # ratifiers do not enter the signing rule; only a form's hazard does
        v = values[k]
        sd = float(v.std())
        if sd <= 0:
            continue
        a, b = float(v[open_].mean()), float(v[~open_].mean())
        rows.append({"input": p.label, "mean_open": a, "mean_closed": b, "effect": (a - b) / sd})
    rows.sort(key=lambda r: -abs(r["effect"]))
    return rows[:3]


def outcome_section(
    scenario: Scenario, plan: Plan, res: dict[str, np.ndarray], ran: list[str]
) -> dict[str, Any]:
    """The outcome model's headline numbers per model and proposal, from the per-draw branches.

    ``form`` is the headline form (the scenario's first, or none); ``models`` and
    ``proposals`` hold :func:`detente.analyses.outcome.summarise` for it; ``by_form`` the
    three headline probabilities in every form.
    """
    from detente.analyses.outcome import headline_sentence, signatories, summarise
    from detente.scenario.ratification import carrier

    forms = [f.id for f in scenario.forms] or [NO_FORM]
    headline = forms[0]
    issue_ids = [i.id for i in scenario.issues]
    who = list(plan.signers) if plan.signers is not None else signatories(scenario)
    e0 = res["outcome/escalation_no_deal"]
    keys = [*ran, *(f"proposal:{p.id}" for p in scenario.proposals)]

    def one(form: str, key: str) -> dict[str, Any]:
        if key.startswith("proposal:"):
            pid = key.split(":", 1)[1]
            p = [q.id for q in scenario.proposals].index(pid)
            deal = res[f"package/{p}"]
        else:
            deal = res[f"forecast/{key}"]
        # the terms as the form carries them (a treaty fixes the legal form, ...)
        deal = carrier(scenario, None if form == NO_FORM else form)(deal)
        ratified = (
            res[f"ratified/{form}/{key}"] if form != NO_FORM else np.ones(e0.shape, dtype=bool)
        )
        draws = {
            "signed": res[f"signed/{form}/{key}"],
            "ratified": ratified,
            "escalation_no_deal": e0,
            "deal": deal,
            "accepts": res[f"accepts/{form}/{key}"],
        }
        return summarise(draws, issue_ids, who)

    label = {f.id: f.name or f.id for f in scenario.forms}
    models = {}
    for key in ran:
        entry = one(headline, key)
        entry["headline"] = headline_sentence(entry, label.get(headline))
        models[key] = entry
    proposals = {}
    for p in scenario.proposals:
        # a proposal is evaluated in the form its author proposes
        form = p.form if p.form is not None else headline
        proposals[p.id] = one(form, f"proposal:{p.id}")
        proposals[p.id]["form"] = None if form == NO_FORM else form
    by_form = {}
    for form in forms:
        by_form[form] = {}
        for key in keys:
            if key.startswith("proposal:"):
                continue
            s = one(form, key)
            by_form[form][key] = {
                k: s[k] for k in ("p_agreement", "p_ratified_given_agreement", "p_escalation")
            }
            # the form's bodies on the package alone, signed or not (two-level comparisons)
            by_form[form][key]["p_bodies_pass"] = (
                float(res[f"ratified/{form}/{key}"].mean()) if form != NO_FORM else 1.0
            )
    range_open = {
        form: float(res[f"range_open/{form}"].mean())
        for form in forms
        if f"range_open/{form}" in res
    }
    return {
        "definition": "docs/outcome.md",
        # share of draws in which some package would be signed by everyone (crisis only)
        "p_range_open": range_open or None,
        "options": plan.outcome_options.describe(),
        "form": None if headline == NO_FORM else headline,
        "signatories": who,
        "samples": int(e0.shape[0]),
        "p_escalation_no_deal": float(e0.mean()),
        # share of draws in which the talks can finish by the deadline (time pressure)
        # what each form commits the package to (docs/scenario-format.md, forms)
        "form_commits": {
            f.id: {"fixes": dict(f.fixes), "bounds": {k: list(v) for k, v in f.bounds.items()}}
            for f in scenario.forms
            if f.fixes or f.bounds
        },
        "p_talks_in_time": float(res["outcome/ready"].mean()) if "outcome/ready" in res else 1.0,
        "models": models,
        "proposals": proposals,
        "by_form": by_form,
    }
