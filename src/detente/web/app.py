"""The workbench's web app: Starlette routes over :mod:`detente.web.workbench`.

Routes:

- ``GET /``: the page for a scenario (``?scenario=NAME`` bundled, ``?s=SHA256`` stored,
  ``?run=ID`` a saved run with its edits);
- ``POST /upload``: open an uploaded YAML/CSV file (validated like ``detente validate``);
- ``POST /whatif``: the results fragment for the touched fields (htmx, after each edit;
  ``phase=fast`` answers with the fast models' packages first);
- ``POST /runs``: save the current what-if as a run in the history;
- ``POST /export``: the edited scenario as YAML; ``POST /rounds``: one model round by round;
- ``POST /jobs``: Monte Carlo intervals as a background job; ``POST /jobs/advice`` advice for
  an actor, ``POST /jobs/sensitivity`` the tornado, ``POST /jobs/sweep`` one input's curves,
  ``POST /jobs/report`` the briefing of the current state (``GET /jobs/ID/report.html``
  downloads it); ``GET /jobs/ID`` a job's progress (polled) or result, ``POST
  /jobs/ID/cancel`` stops it;
- ``POST /apply``: an advised move as edits of the inputs (the page's script applies them);
- ``GET /compare?runs=ID,ID,...|base``: two or more runs, or runs and their baseline, side by
  side with the deltas of every input and result (``?a=ID&b=ID|base`` for two;
  ``?pick=ID&pick=base...``, the run history's ticked boxes, for any number);
- ``GET /history``: the run history's rows (htmx refreshes them after each save);
- ``GET /static/...``: htmx, the page's script and style, all shipped in the package.

Every request passes :class:`~detente.web.security.SecurityMiddleware` first.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from detente import __version__
from detente.errors import InputError, Problem
from detente.outputs.advice_text import pivotal_name
from detente.scenario.loading import DEFAULT_SCENARIO, bundled_scenarios, decode
from detente.web import workbench as wb
from detente.web.jobs import Jobs
from detente.web.security import Guard, SecurityMiddleware, allowed_hosts
from detente.web.store import Store, content_hash

log = logging.getLogger("detente.web")

#: the most draws a background Monte Carlo job may take
MAX_JOB_SAMPLES = 100_000

#: progress steps of the briefing report (detente.outputs.report.build_report's steps)
REPORT_STEPS = 11

#: what a job reports to: ``progress(done, total)``
Progress = Callable[[int, int], None]
#: a job's work: ``work(progress)`` returns its JSON-ready result
Work = Callable[[Progress], dict[str, Any]]

#: saved runs the run history on the page lists (newest first)
HISTORY_ROWS = 20

#: uploads and form posts larger than this get 413
DEFAULT_MAX_BODY = 2 * 1024 * 1024

T = TypeVar("T")


def compute_slots() -> int:
    """How many model computations the server runs at once: one per CPU it may use.

    A what-if on a small scenario is mostly Python holding the GIL between short NumPy calls,
    so requests computing beyond one per CPU gain nothing and fight over the GIL: 20 clients
    at once on the default thread pool (40 threads) cost a third more CPU than one at a time,
    much of it system time handing the GIL over. The others wait for a slot without a thread.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


@dataclass
class Settings:
    """How the server was started."""

    host: str = "127.0.0.1"
    port: int = 8765
    db: str | None = None
    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    #: draws behind the page's P(...) until the user changes them
    samples: int = wb.DEFAULT_SAMPLES
    #: the scenario the page opens with: (text, kind, source label)
    start: tuple[str, str, str] | None = None


class Workbench:
    """Shared state of one server: the store, the templates and the known scenario texts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.db)
        self.jobs = Jobs()
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("detente.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["num"] = _num
        self.env.filters["val"] = _val
        self.env.filters["pivotal_name"] = pivotal_name
        # scenario texts by hash: the bundled ones and the start scenario live in memory,
        # uploads in the store
        self.known: dict[str, tuple[str, str, str]] = {}
        for name in bundled_scenarios():
            text, kind = wb.bundled_text(name)
            self.known[content_hash(text)] = (text, kind, name)
        start = settings.start or (*wb.bundled_text(DEFAULT_SCENARIO), DEFAULT_SCENARIO)
        self.start_sha = content_hash(start[0])
        self.known[self.start_sha] = start
        self.slots = compute_slots()
        self._limiter: anyio.CapacityLimiter | None = None  # made in the server's event loop

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a worker thread, with at most :attr:`slots` such calls at once.

        For the engine's work (forecasts, ratification, gaps, rounds, moves); the store's
        reads and writes keep Starlette's thread pool, so they never queue behind a forecast.
        """
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.slots)
        return await anyio.to_thread.run_sync(functools.partial(fn, *args), limiter=self._limiter)

    def opened(self, sha: str) -> wb.Opened:
        """The scenario with this hash (``KeyError`` if unknown; ``InputError`` if invalid)."""
        if sha in self.known:
            text, kind, source = self.known[sha]
        else:
            row = self.store.get_scenario(sha)
            if row is None:
                raise KeyError(sha)
            text, kind, source = row.text, row.kind, row.source
        return wb.open_text(sha, text, kind, source)

    def render(self, template: str, **context: Any) -> str:
        """Render a template with the common context."""
        return self.env.get_template(template).render(version=__version__, **context)


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _intervals(job: Any) -> list[dict[str, Any]]:
    """A finished job's 5-50-95% quantiles per issue and model."""
    if job.result is None:
        return []
    rows = []
    for issue, per_model in job.result["issues"].items():
        cells = []
        for model, stats in per_model.items():
            q = stats.get("quantiles", {})
            cells.append({"model": model, "q5": q.get("5"), "q50": q.get("50"), "q95": q.get("95")})
        rows.append({"issue": issue, "cells": cells})
    return rows


def _run_id(text: str) -> int:
    """A run id from a query parameter; -1 (no such run) unless it is a plain small number."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 15 else -1


def _val(x: float | str) -> str:
    """An edited value as typed: ``77.5`` stays ``77.5``, ``60.0`` reads ``60``."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def _edits(opened: Any, form: Any) -> Any:
    """The edits a posted form makes to the opened scenario (every field read as text)."""
    return wb.parse_edits(opened, {k: str(v) for k, v in form.items()})


def _options(form: Any) -> tuple[int, int, list[Problem]]:
    """Draws and seed from the form, with problems for bad values."""
    problems = []
    samples, seed = wb.DEFAULT_SAMPLES, 0
    try:
        samples = int(str(form.get("samples", wb.DEFAULT_SAMPLES)))
        if not 1 <= samples <= wb.MAX_SAMPLES:
            raise ValueError
    except ValueError:
        problems.append(Problem("--samples", f"draws must be a whole number 1 to {wb.MAX_SAMPLES}"))
        samples = wb.DEFAULT_SAMPLES
    try:
        seed = int(str(form.get("seed", 0)))
        if not 0 <= seed < 2**63:
            raise ValueError
    except ValueError:
        problems.append(Problem("--seed", "the seed must be a whole number >= 0"))
        seed = 0
    return samples, seed, problems


class WorkbenchApp(SecurityMiddleware):
    """The guarded ASGI app, with its :class:`Workbench` (store, known scenarios) at hand."""

    def __init__(self, app: Starlette, guard: Guard, bench: Workbench) -> None:
        super().__init__(app, guard)
        self.bench = bench


def create_app(settings: Settings) -> WorkbenchApp:
    """The workbench ASGI app, wrapped in :class:`~detente.web.security.SecurityMiddleware`."""
    bench = Workbench(settings)

    def _problems(exc: InputError) -> HTMLResponse:
        """The problems of a bad input, worded as the CLI words them."""
        return HTMLResponse(bench.render("problems.html", problems=[str(p) for p in exc.problems]))

    async def page(request: Request) -> Response:
        name = request.query_params.get("scenario")
        sha = request.query_params.get("s")
        run_id = request.query_params.get("run")
        run = None
        if run_id is not None:
            run = await run_in_threadpool(bench.store.get_run, _run_id(run_id))
            if run is None:
                return HTMLResponse(
                    bench.render("error.html", message=f"no run {run_id} in the history"),
                    status_code=404,
                )
            sha = run.scenario_sha256
        if name is not None:
            try:
                text, _kind = wb.bundled_text(name)
            except InputError as exc:
                return HTMLResponse(bench.render("error.html", message=str(exc)), status_code=404)
            sha = content_hash(text)
        sha = sha or bench.start_sha
        try:
            opened = await run_in_threadpool(bench.opened, sha)
        except KeyError:
            return HTMLResponse(
                bench.render("error.html", message="no such scenario in this workbench"),
                status_code=404,
            )
        except InputError as exc:
            return HTMLResponse(
                bench.render("error.html", message="; ".join(map(str, exc.problems))),
                status_code=422,
            )
        samples, seed = settings.samples, 0
        edits: list[wb.Edit] = []
        out = None
        identical = None
        if run is not None:  # a saved run, reloaded with its edits touched, and re-run
            samples, seed = int(run.options.get("samples", samples)), run.seed
            edits = [
                wb.Edit(e["stance"], e["field"], e["value"], e["actor"], e["issue"])
                for e in run.edits
            ]
            try:
                loaded = wb.apply_edits(opened, edits)
            except InputError as exc:
                return HTMLResponse(
                    bench.render("error.html", message="; ".join(map(str, exc.problems))),
                    status_code=422,
                )
            out, _ = await bench.compute(wb.run_forecast, loaded, samples, seed)
            identical = wb.forecast_json(out) == run.outputs
        base = await bench.compute(wb.baseline, opened, samples, seed)
        rat_base = await bench.compute(wb.baseline_ratification, opened, samples, seed)
        rat = rat_base
        if out is not None:
            rat = await bench.compute(wb.ratification, loaded, out)
        results = _results_context(opened, base, out or base, edits, samples, seed, 0.0)
        results["ratification"] = _ratification_rows(rat, rat_base, results["models"])
        gap_base = await bench.compute(wb.baseline_gaps, opened, samples, seed)
        gap = gap_base if out is None else await bench.compute(wb.gaps, loaded, out)
        results["gaps"] = _gap_rows(gap, gap_base)
        return HTMLResponse(
            bench.render(
                "index.html",
                opened=opened,
                title=opened.loaded.scenario.meta.title,
                stance_rows=wb.stance_rows(opened, edits),
                other_sections=wb.other_sections(opened, edits),
                actors=opened.loaded.scenario.actor_ids(),
                sweep_inputs=wb.sweep_inputs(opened),
                run=run,
                identical=identical,
                fields=wb.FIELDS,
                bundled=list(bundled_scenarios()),
                round_models=wb.round_models(),
                max_mb=settings.max_body / 1024 / 1024,
                **await _history(bench, []),
                **results,
            )
        )

    async def whatif(request: Request) -> Response:
        form = await request.form()
        try:
            opened = await run_in_threadpool(bench.opened, str(form.get("s", "")))
        except (KeyError, InputError):
            return HTMLResponse(
                bench.render("problems.html", problems=["unknown scenario; reload the page"])
            )
        samples, seed, bad = _options(form)
        edits = _edits(opened, form)
        t0 = time.perf_counter()
        try:
            loaded = wb.apply_edits(opened, edits)
        except InputError as exc:
            return _invalid(bench, exc.problems + bad)
        if bad:
            return _invalid(bench, bad)
        checked = time.perf_counter() - t0
        fast = form.get("phase") == "fast" and bool(edits)
        try:
            base = await bench.compute(wb.baseline, opened, samples, seed)
            if fast:  # the fast models' packages now; P(...) and the slow models follow
                out = {"forecasts": await bench.compute(wb.run_fast, loaded, seed)}
                out["headline"] = {"model": base["headline"]["model"]}
            elif edits:
                out, _ = await bench.compute(wb.run_forecast, loaded, samples, seed)
            else:
                out = base
            rat_base = await bench.compute(wb.baseline_ratification, opened, samples, seed)
            rat = rat_base if out is base else await bench.compute(wb.ratification, loaded, out)
            gap_base = await bench.compute(wb.baseline_gaps, opened, samples, seed)
            gap = gap_base if out is base else await bench.compute(wb.gaps, loaded, out)
        except InputError as exc:
            return _invalid(bench, exc.problems)
        except Exception as exc:  # a model failing on odd but valid inputs: say so, never a 500
            log.exception("forecast failed")
            return _invalid(bench, [Problem("models", f"the forecast failed: {exc!r}")])
        elapsed = time.perf_counter() - t0
        context = _results_context(opened, base, out, edits, samples, seed, elapsed, fast)
        context["ratification"] = _ratification_rows(rat, rat_base, context["models"])
        context["gaps"] = _gap_rows(gap, gap_base)
        html = bench.render("results.html", **context)
        phase = "fast" if fast else "whatif"
        timing = f"validate;dur={1000 * checked:.1f}, {phase};dur={1000 * elapsed:.1f}"
        return HTMLResponse(html, headers={"server-timing": timing})

    async def save_run(request: Request) -> Response:
        form = await request.form()
        try:
            opened = await run_in_threadpool(bench.opened, str(form.get("s", "")))
        except (KeyError, InputError):
            return HTMLResponse(bench.render("saved.html", run_id=None, message="unknown scenario"))
        samples, seed, bad = _options(form)
        edits = _edits(opened, form)
        try:
            loaded = wb.apply_edits(opened, edits)
            if bad:
                raise InputError(bad)
        except InputError as exc:
            return HTMLResponse(
                bench.render(
                    "saved.html",
                    run_id=None,
                    message=f"not saved: the inputs do not validate ({exc.first_line})",
                )
            )
        try:
            if edits:
                out, elapsed = await bench.compute(wb.run_forecast, loaded, samples, seed)
            else:  # the cached baseline: the same bytes, as the tests and `runs rerun` check
                t0 = time.perf_counter()
                out = await bench.compute(wb.baseline, opened, samples, seed)
                elapsed = time.perf_counter() - t0
        except Exception as exc:  # see whatif
            log.exception("forecast failed")
            return HTMLResponse(
                bench.render("saved.html", run_id=None, message=f"not saved: {exc!r}")
            )

        def save() -> int:
            sha = bench.store.put_scenario(opened.text, opened.kind, opened.source)
            return bench.store.save_run(
                command="workbench",
                scenario_sha256=sha,
                edits=[e.as_dict() for e in edits],
                options={"command": "forecast", "models": None, "samples": samples},
                seed=seed,
                version=__version__,
                outputs=wb.forecast_json(out),
                elapsed_s=elapsed,
            )

        run_id = await run_in_threadpool(save)
        return HTMLResponse(
            bench.render("saved.html", run_id=run_id, n_edits=len(edits), message=None),
            headers={"HX-Trigger": "runSaved"},  # the run history reloads itself
        )

    async def export(request: Request) -> Response:
        form = await request.form()
        try:
            opened = await run_in_threadpool(bench.opened, str(form.get("s", "")))
            samples, seed, bad = _options(form)
            if bad:
                raise InputError(bad)
            edits = _edits(opened, form)
            text = wb.export_yaml(opened, edits, samples, seed)
        except KeyError:
            return HTMLResponse(bench.render("problems.html", problems=["unknown scenario"]))
        except InputError as exc:
            return _problems(exc)
        name = wb.safe_label(opened.source).rsplit(".", 1)[0] + "-edited.yaml"
        return HTMLResponse(
            bench.render(
                "export.html", text=text, name=name, samples=samples, seed=seed, n=len(edits)
            )
        )

    async def upload(request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=20)
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            return HTMLResponse(bench.render("problems.html", problems=["choose a file first"]))
        label = wb.safe_label(item.filename)
        data = await item.read()
        try:
            kind = wb.kind_of(label)
            text = decode(data, label)
            sha = content_hash(text)
            await run_in_threadpool(wb.open_text, sha, text, kind, label)
        except InputError as exc:
            return _problems(exc)
        await run_in_threadpool(bench.store.put_scenario, text, kind, label)
        return PlainTextResponse("opened", headers={"HX-Redirect": f"/?s={sha}"})

    async def rounds(request: Request) -> Response:
        """One model round by round on the current inputs, with its events in words."""
        from detente import api

        form = await request.form()
        try:
            opened = await run_in_threadpool(bench.opened, str(form.get("s", "")))
            _samples, seed, bad = _options(form)
            edits = _edits(opened, form)
            loaded = wb.apply_edits(opened, edits)
            if bad:
                raise InputError(bad)
            model = str(form.get("model", ""))
            if model not in wb.round_models():
                raise InputError(
                    Problem("--model", f"choose one of {', '.join(wb.round_models())}")
                )
            sim = await bench.compute(api.simulate, loaded, model, None, seed)
        except KeyError:
            return HTMLResponse(bench.render("problems.html", problems=["unknown scenario"]))
        except InputError as exc:
            return _problems(exc)
        issues = list(sim["rounds"][0]["forecast"])
        return HTMLResponse(
            bench.render(
                "rounds.html",
                sim=sim,
                issues=issues,
                n_edits=len(edits),
                words=[[wb.event_words(e) for e in r.get("events", [])] for r in sim["rounds"]],
            )
        )

    async def history(request: Request) -> Response:
        """The run history's rows: the saved forecast runs, each with a box to tick for compare.

        ``?pinned=3,5,base`` ticks those boxes.
        """
        pinned = request.query_params.get("pinned", "").replace(",", " ").split()
        return HTMLResponse(bench.render("history.html", **await _history(bench, pinned)))

    async def compare(request: Request) -> Response:
        """Two or more saved runs, or runs and the baseline, side by side with their deltas.

        ``?runs=3,5,base`` pins the items in order (the first is the reference); ``?a=3&b=5``
        (or ``b=base``) is the same for two; ``?pick=5&pick=3&pick=base`` (the run history's
        ticked boxes) pins the baseline first, then the runs oldest first.
        """
        from detente.web import compare as cmp

        q = request.query_params
        text = q.get("runs") or " ".join(x for x in (q.get("a", ""), q.get("b", "")) if x)
        if not text and q.getlist("pick"):
            text = cmp.picked_pins(q.getlist("pick"))
        try:
            pins = cmp.parse_pins(text)
            items: list[cmp.Item | None] = []
            for pin in pins:
                if pin == "base":
                    items.append(None)
                    continue
                run = await run_in_threadpool(bench.store.get_run, _run_id(pin))
                if run is None:
                    raise InputError(Problem("compare", f"no run {pin} in the history"))
                items.append(await bench.compute(cmp.load_item, run))
            ref = next(i.run for i in items if i is not None)
            if None in items:
                base = await bench.compute(cmp.baseline_item, ref)
                items = [base if i is None else i for i in items]
            table = cmp.compare([i for i in items if i is not None])
        except InputError as exc:
            return HTMLResponse(
                bench.render("error.html", message="; ".join(map(str, exc.problems))),
                status_code=404,  # nothing to compare under that address
            )
        pinned = [i for i in items if i is not None]
        return HTMLResponse(
            bench.render(
                "compare.html",
                items=pinned,
                pins=",".join(pins),
                source=ref.source,
                **await _history(bench, pins),
                **table,
            )
        )

    async def start_job(request: Request) -> Response:
        """Start Monte Carlo intervals on the current inputs as a background job."""
        form = await request.form()
        try:
            opened = await run_in_threadpool(bench.opened, str(form.get("s", "")))
            _samples, seed, bad = _options(form)
            edits = _edits(opened, form)
            loaded = wb.apply_edits(opened, edits)
            try:
                draws = int(str(form.get("mc_samples", "")))
                if not 1 <= draws <= MAX_JOB_SAMPLES:
                    raise ValueError
            except ValueError:
                bad.append(Problem("--samples", f"intervals take 1 to {MAX_JOB_SAMPLES:,} draws"))
            if bad:
                raise InputError(bad)
        except KeyError:
            return HTMLResponse(bench.render("problems.html", problems=["unknown scenario"]))
        except InputError as exc:
            return _problems(exc)
        job = bench.jobs.start_montecarlo(loaded, draws, seed, len(edits))
        if job is None:
            return HTMLResponse(
                bench.render("problems.html", problems=["two jobs are running; wait or cancel one"])
            )
        return HTMLResponse(bench.render("job.html", job=job, **_job_context(job)))

    async def _job_inputs(request: Request) -> tuple[Any, Any, int, int, int]:
        """The posted form's scenario with its edits, draws and seed (``InputError`` if bad)."""
        form = await request.form()
        try:
            opened = await run_in_threadpool(bench.opened, str(form.get("s", "")))
        except KeyError:
            raise InputError(Problem("scenario", "unknown scenario; reload the page")) from None
        samples, seed, bad = _options(form)
        edits = _edits(opened, form)
        loaded = wb.apply_edits(opened, edits)
        if bad:
            raise InputError(bad)
        return form, loaded, samples, seed, len(edits)

    def job_route(
        kind: str,
        prepare: Callable[[Any, Any, int, int], tuple[Work, str]],
    ) -> Callable[[Request], Awaitable[Response]]:
        """A route that starts a background job of ``kind`` on the posted inputs.

        ``prepare(form, loaded, samples, seed)`` checks the job's own fields (raising
        ``InputError``) and returns the work, ``work(progress)``, and the job's subject.
        """

        async def start(request: Request) -> Response:
            try:
                form, loaded, samples, seed, n_edits = await _job_inputs(request)
                work, subject = prepare(form, loaded, samples, seed)
            except InputError as exc:
                return _problems(exc)
            job = bench.jobs.start(
                kind, work, samples=samples, seed=seed, n_edits=n_edits, subject=subject
            )
            return _job_started(bench, job)

        start.__doc__ = prepare.__doc__
        return start

    def advice_job(form: Any, loaded: Any, samples: int, seed: int) -> tuple[Work, str]:
        """Advice for an actor on the current inputs as a background job."""
        from detente import api

        actor = str(form.get("advice_actor", ""))
        if actor not in loaded.scenario.actor_ids():
            known = ", ".join(loaded.scenario.actor_ids())
            raise InputError(Problem("--actor", f"choose one of {known}"))

        def work(progress: Progress) -> dict[str, Any]:
            return api.advise(loaded, actor, samples=samples, seed=seed, progress=progress)

        return work, actor

    def sensitivity_job(_form: Any, loaded: Any, _samples: int, seed: int) -> tuple[Work, str]:
        """One-at-a-time sensitivity (the tornado) on the current inputs as a background job."""
        from detente import api

        def work(progress: Progress) -> dict[str, Any]:
            return api.sensitivity(loaded, seed=seed, top=8, progress=progress)

        return work, ""

    def sweep_job(form: Any, loaded: Any, _samples: int, seed: int) -> tuple[Work, str]:
        """One input swept across its range (sensitivity curves) as a background job."""
        from detente import api

        label = str(form.get("sweep_input", ""))

        def work(progress: Progress) -> dict[str, Any]:
            return api.sweep(loaded, label, seed=seed, progress=progress)

        return work, label

    def report_job(_form: Any, loaded: Any, samples: int, seed: int) -> tuple[Work, str]:
        """The briefing report (``detente report``) of the current inputs as a background job."""
        from detente import api

        def work(progress: Progress) -> dict[str, Any]:
            steps = [0]

            def step(_message: str) -> None:
                steps[0] += 1
                progress(min(steps[0], REPORT_STEPS), REPORT_STEPS)

            return api.report(loaded, fmt="html", samples=samples, seed=seed, progress=step)

        return work, ""

    start_advice = job_route("advice", advice_job)
    start_sensitivity = job_route("sensitivity", sensitivity_job)
    start_sweep = job_route("sweep", sweep_job)
    start_report = job_route("report", report_job)

    async def report_file(request: Request) -> Response:
        """A finished report job's HTML file, as a download."""
        job = bench.jobs.get(request.path_params["job_id"])
        if job is None or job.kind != "report" or job.result is None:
            return HTMLResponse(
                bench.render("error.html", message="no such report; make it again"),
                status_code=404,
            )
        return Response(
            job.result["text"],
            media_type="text/html; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="detente-report.html"'},
        )

    async def apply_move(request: Request) -> Response:
        """An advised move as edits of the current inputs, for the page to apply."""
        from detente import api

        try:
            form, loaded, _samples, _seed, _n = await _job_inputs(request)
            actor, move = str(form.get("actor", "")), str(form.get("move", ""))
            raw = await bench.compute(api.move_edits, loaded, actor, move)
        except InputError as exc:
            return HTMLResponse(
                bench.render(
                    "apply.html",
                    move=None,
                    edits=[],
                    problems=[str(p) for p in exc.problems],
                    approximated=[],
                    dropped=[],
                )
            )
        edits = []
        for e in raw:
            if "path" in e:
                label, key = e["path"], wb.path_key(e["path"])
            else:
                label, key = (
                    f"{e['actor']} {e['issue']} {e['field']}",
                    f"f.{e['stance']}.{e['field']}",
                )
            edits.append({"key": key, "label": label, "value": _val(float(e["value"]))})
        approximated = wb.move_approximations(
            loaded,
            actor,
            str(form.get("kind", "")),
            sorted({e["issue"] for e in raw if "issue" in e}),
            deadline=any(e.get("path") == "crisis.deadline_months" for e in raw),
        )
        dropped = [
            e["label"] for e in edits if e["label"].endswith(" publicity") and e["value"] == "0"
        ]
        return HTMLResponse(
            bench.render(
                "apply.html",
                move=move,
                edits=edits,
                problems=[],
                approximated=approximated,
                dropped=dropped,
            )
        )

    async def job_status(request: Request) -> Response:
        job = bench.jobs.get(request.path_params["job_id"])
        if job is None:
            return HTMLResponse(bench.render("problems.html", problems=["no such job"]))
        return HTMLResponse(bench.render("job.html", job=job, **_job_context(job)))

    async def cancel_job(request: Request) -> Response:
        job = bench.jobs.get(request.path_params["job_id"])
        if job is not None:
            job.cancel.set()
        return Response(status_code=204)

    async def favicon(_request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/whatif", whatif, methods=["POST"]),
        Route("/runs", save_run, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/export", export, methods=["POST"]),
        Route("/compare", compare, methods=["GET"]),
        Route("/history", history, methods=["GET"]),
        Route("/rounds", rounds, methods=["POST"]),
        Route("/jobs", start_job, methods=["POST"]),
        Route("/jobs/advice", start_advice, methods=["POST"]),
        Route("/jobs/sensitivity", start_sensitivity, methods=["POST"]),
        Route("/apply", apply_move, methods=["POST"]),
        Route("/jobs/report", start_report, methods=["POST"]),
        Route("/jobs/sweep", start_sweep, methods=["POST"]),
        Route("/jobs/{job_id:str}/report.html", report_file, methods=["GET"]),
        Route("/jobs/{job_id:str}", job_status, methods=["GET"]),
        Route("/jobs/{job_id:str}/cancel", cancel_job, methods=["POST"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("detente.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes)
    guard = Guard(
        hosts=allowed_hosts(settings.host, settings.port),
        max_body=settings.max_body,
        token=settings.token,
        state_paths={
            "/whatif",
            "/runs",
            "/upload",
            "/export",
            "/rounds",
            "/jobs",
            "/jobs/advice",
            "/jobs/sensitivity",
            "/jobs/report",
            "/jobs/sweep",
            "/apply",
        },
    )
    return WorkbenchApp(app, guard, bench)


async def _history(bench: Workbench, pinned: list[str]) -> dict[str, Any]:
    """What history.html shows: the newest saved forecast runs, those in ``pinned`` ticked."""
    from detente.web import compare as cmp

    runs = await run_in_threadpool(bench.store.list_runs, HISTORY_ROWS)
    return {"history": cmp.history_rows(runs, pinned), "base_ticked": "base" in pinned}


def _job_started(bench: Workbench, job: Any) -> HTMLResponse:
    """A started job's progress, or the message that too many are running."""
    if job is None:
        return HTMLResponse(
            bench.render("problems.html", problems=["two jobs are running; wait or cancel one"])
        )
    return HTMLResponse(bench.render("job.html", job=job, **_job_context(job)))


def _job_context(job: Any) -> dict[str, Any]:
    """What job.html shows of a job: intervals, ranked moves or the tornado."""
    from detente.outputs.svg import curves_svg, tornado_svg

    ctx: dict[str, Any] = {"issues": [], "moves": [], "tornado": [], "curves": []}
    if job.result is None:
        return ctx
    if job.kind == "montecarlo":
        ctx["issues"] = _intervals(job)
    elif job.kind == "advice":
        ctx["moves"] = job.result["moves"][:12]
    elif job.kind == "sensitivity":
        for name, out in job.result["outputs"].items():
            if out["drivers"]:
                svg = tornado_svg(out["drivers"], out["at_centres"], name)
                ctx["tornado"].append({"name": name, "summary": out["summary"], "svg": svg})
    elif job.kind == "sweep":
        xs = job.result["values"]
        for name, ys in job.result["outputs"].items():
            if max(ys) - min(ys) > 1e-9:  # an output the input moves
                svg = curves_svg(xs, ys, name, job.subject)
                ctx["curves"].append({"name": name, "svg": svg})
    return ctx


def _invalid(bench: Workbench, problems: list[Problem]) -> HTMLResponse:
    """The results fragment for inputs that do not validate: every problem, by field."""
    field_errors = [(wb.field_of(p), str(p)) for p in problems]
    return HTMLResponse(
        bench.render(
            "results.html",
            problems=[str(p) for p in problems],
            field_errors=[(k, m) for k, m in field_errors if k],
        )
    )


def _results_context(
    opened: wb.Opened,
    base: dict[str, Any],
    out: dict[str, Any],
    edits: list[wb.Edit],
    samples: int,
    seed: int,
    elapsed: float,
    pending: bool = False,
) -> dict[str, Any]:
    """What the results fragment shows: forecasts and P(...) per model against the baseline.

    ``pending``: ``out`` holds only the fast models' packages; the rest is shown as pending.
    """
    sc = opened.loaded.scenario
    models = list(base["forecasts"] if pending else out["forecasts"])
    rows = []
    for issue in sc.issues:
        cells = []
        for m in models:
            was = base["forecasts"].get(m, {}).get(issue.id)
            if m not in out["forecasts"]:
                cells.append(_cell(m, issue.id, None, was, 1, pending=True))
                continue
            now = out["forecasts"][m][issue.id]
            cells.append(_cell(m, issue.id, now, was, 1))
        sq = None if issue.status_quo is None else issue.status_quo.centre
        rows.append({"issue": issue.id, "status_quo": sq, "cells": cells})
    oc, boc = out.get("outcome") or {}, base.get("outcome") or {}
    prob_rows = []
    for key, label in (
        ("p_agreement", "P(agreement)"),
        ("p_ratified_given_agreement", "P(ratified | agreement)"),
        ("p_escalation", "P(escalation)"),
    ):
        cells = []
        for m in models:
            now = oc.get("models", {}).get(m, {}).get(key)
            was = boc.get("models", {}).get(m, {}).get(key)
            cells.append(_cell(m, key, now, was, 2, pending=pending))
        prob_rows.append({"key": key, "label": label, "cells": cells})
    checks, bchecks = out.get("checks") or {}, base.get("checks") or {}
    check_rows = []
    if "range" in checks:
        share = f"{checks['range']['challenger']} share of pie"
        for label, get in (
            (share, lambda c, m: _num(c["models"].get(m, {}).get("challenger_share"), 2)),
            ("signed at centre", lambda c, m: _signed(c["models"].get(m, {}).get("signed"))),
        ):
            cells = []
            for m in models:
                now = get(checks, m)
                was = get(bchecks, m) if "models" in bchecks else now
                cells.append({"model": m, "text": now, "was": was, "changed": now != was})
            check_rows.append({"label": label, "cells": cells})
    lead = out["headline"].get("model")
    chart = None
    if lead in out["forecasts"]:
        from detente.outputs.svg import packages_svg

        chart = packages_svg(
            [
                {
                    "issue": issue.id,
                    "min": issue.scale.min,
                    "max": issue.scale.max,
                    "status_quo": None if issue.status_quo is None else issue.status_quo.centre,
                    "baseline": base["forecasts"].get(lead, {}).get(issue.id),
                    "now": out["forecasts"][lead][issue.id],
                }
                for issue in sc.issues
            ],
            lead,
        )
    refusals = [r["why"] for r in checks.get("models", {}).get(lead, {}).get("refuse", [])]
    return {
        "problems": [],
        "field_errors": [],
        "ratification": None,
        "gaps": None,
        "chart": chart,
        "check_rows": check_rows,
        "range": checks.get("range"),
        "form": checks.get("form"),
        "refusals": refusals,
        "models": models,
        "headline": out["headline"],
        "rows": rows,
        "prob_rows": prob_rows,
        "n_edits": len(edits),
        "edits": edits,
        "samples": samples,
        "seed": seed,
        "ms": 1000 * elapsed,
        "skipped": {**out.get("skipped", {}), **oc.get("skipped", {})},
        "sha": opened.sha256,
        "pending": pending,
    }


def _ratification_rows(
    rat: dict[str, Any] | None, base: dict[str, Any] | None, models: list[str]
) -> dict[str, Any] | None:
    """The ratification table: per form and body a row, per model its yes votes, marked where
    they differ from the baseline's; a model still computing shows as pending."""
    if rat is None:
        return None
    was: dict[tuple[str, str, str], int] = {}
    for f in (base or {}).get("forms", []):
        for b in f["bodies"]:
            for m, y in b["yes"].items():
                was[f["form"], b["body"], m] = y
    forms = []
    for f in rat["forms"]:
        verdicts = [
            {"model": m, "pending": m not in f["ratified"], "ratified": f["ratified"].get(m)}
            for m in models
        ]
        bodies = []
        for b in f["bodies"]:
            cells = []
            for m in models:
                if m not in b["yes"]:
                    cells.append({"model": m, "pending": True, "changed": False})
                    continue
                before = was.get((f["form"], b["body"], m), b["yes"][m])
                cells.append(
                    {
                        "model": m,
                        "pending": False,
                        "yes": b["yes"][m],
                        "passed": b["passed"][m],
                        "was": before,
                        "changed": before != b["yes"][m],
                    }
                )
            bodies.append({**b, "cells": cells})
        forms.append({"form": f["form"], "name": f["name"], "verdicts": verdicts, "bodies": bodies})
    changed = any(c.get("changed") for f in forms for b in f["bodies"] for c in b["cells"])
    return {
        "model": rat["model"],
        "models": models,
        "forms": forms,
        "words": rat["words"],
        "changed": changed,
    }


def _gap_rows(gap: dict[str, Any] | None, base: dict[str, Any] | None) -> dict[str, Any] | None:
    """The achievement gaps, each marked where it differs from the baseline package's."""
    if gap is None:
        return None
    was = {r["actor"]: r["gap"] for r in (base or {}).get("rows", [])}
    rows = []
    for r in gap["rows"]:
        before = was.get(r["actor"])
        changed = before is not None and r["gap"] is not None and abs(before - r["gap"]) > 1e-9
        rows.append({**r, "was": before, "changed": changed})
    return {"model": gap["model"], "rows": rows}


def _signed(x: bool | None) -> str:
    return "-" if x is None else ("yes" if x else "NO")


def _cell(
    model: str, what: str, now: float | None, was: float | None, digits: int, pending: bool = False
) -> dict:
    changed = now is not None and was is not None and abs(now - was) > 1e-9
    changed = not pending and (changed or (now is None) != (was is None))
    return {
        "pending": pending,
        "model": model,
        "what": what,
        "now": now,
        "was": was,
        "value": "" if now is None else repr(now),
        "changed": changed,
        "digits": digits,
    }
