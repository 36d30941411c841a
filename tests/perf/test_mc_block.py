"""The cheaper Monte Carlo block (issue 23): the ratification compile, the votes and the
signing rule give the same bits as the straightforward formulas they replace."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.analyses import crisis as C
from detente.analyses import montecarlo as mc
from detente.analyses import outcome as O
from detente.analyses import ratification as R
from detente.scenario import load_scenario
from detente.scenario.parameters import Given, compile_all, draw_values, uncertain_parameters
from detente.scenario.ratification import compile_ratification
from detente.scenario.schema import Scenario
from detente.scenario.uncertain import Uncertain
from tests.ratification_scenario import doc


def _uncertain_doc() -> dict:
    """The two-level test scenario with every kind of bloc and member input uncertain, a scale
    below zero (negative ideal points) and weights drawn at exactly 0 in some draws."""
    d = doc()
    d["issues"].append({"id": "budget", "scale": {"min": -50, "max": 50}, "status_quo": -10})
    senate = d["bodies"][0]
    senate.pop("issues")
    senate["ties"] = "yes"
    senate["blocs"][0].update(
        spread={"enlargement": [2, 8], "budget": {"dist": "normal", "mean": 1, "sd": 3}},
        weights={"enlargement": [0.5, 2], "budget": {"dist": "normal", "mean": 0.1, "sd": 1}},
        ideal={"enlargement": 80, "budget": [-40, 10]},
        approval_cost=[0, 5],
    )
    senate["blocs"][1].update(
        spread=[1, 6], ideal={"enlargement": {"dist": "normal", "mean": 95, "sd": 4}}
    )
    duma = d["bodies"][1]
    duma["blocs"][0].update(spread=[0, 20], approval_cost=[0, 3])
    duma["members"] = [
        {
            "id": "speaker",
            "ideal": {"enlargement": [0, 10], "budget": -30},
            "weights": {"budget": [0, 2]},
            "approval_cost": [0, 4],
        }
    ]
    d["bodies"][2]["members"][0].update(approval_cost=[0, 10], weights={"enlargement": [0.5, 2]})
    d["bodies"][2]["reversion"] = {"legal_form": [0, 20]}
    d["forms"][0]["revision_hazard"] = [0, 0.1]
    d["forms"].append(
        {"id": "bounded", "ratified_by": ["president", "senate"], "bounds": {"budget": [-20, 0]}}
    )
    d["proposals"][1]["values"] = {"enlargement": [85, 99], "legal_form": 50, "budget": [-30, 5]}
    return d


def _reference_body(body, sq, d_of, lo, hi, mid, rng):
    """A Monte Carlo compile of one body as it was written before: member by member, issue by
    issue, drawing in the same order (reversions, then per bloc and issue the centre, spread,
    weight and the members' normals, then the named members, then the approval costs)."""
    s, d = sq.shape
    one = Uncertain.model_validate(1)

    def draw(u, a=-math.inf, b=math.inf):
        return u.sample(rng, s, clip=(a, b))

    keep = np.zeros(d, dtype=bool)
    keep[[d_of[i] for i in body.weighed_issues()]] = True
    reversion = sq.copy()
    for iid, u in body.reversion.items():
        reversion[:, d_of[iid]] = draw(u, lo[d_of[iid]], hi[d_of[iid]])
    zs, ws, prices = [], [], []
    for bloc in body.blocs:
        z = np.broadcast_to(mid, (s, bloc.count, d)).copy()
        w = np.zeros((s, bloc.count, d))
        for iid, u in bloc.ideal.items():
            j = d_of[iid]
            centre = draw(u, lo[j], hi[j])
            sp = bloc.spread.get(iid, Uncertain.model_validate(0)) if isinstance(
                bloc.spread, dict) else bloc.spread  # fmt: skip
            sd = draw(sp, 0.0)
            w[:, :, j] = draw(bloc.weights.get(iid, one), 0.0)[:, None]
            normal = rng.standard_normal((s, bloc.count))
            z[:, :, j] = np.clip(centre[:, None] + sd[:, None] * normal, lo[j], hi[j])
        zs.append(z)
        ws.append(w)
        prices.append((bloc.approval_cost, bloc.count))
    for member in body.members:
        z = np.broadcast_to(mid, (s, 1, d)).copy()
        w = np.zeros((s, 1, d))
        for iid, u in member.ideal.items():
            j = d_of[iid]
            z[:, 0, j] = draw(u, lo[j], hi[j])
            w[:, 0, j] = draw(member.weights.get(iid, one), 0.0)
        zs.append(z)
        ws.append(w)
        prices.append((member.approval_cost, 1))
    ideal, weight = np.concatenate(zs, axis=1), np.concatenate(ws, axis=1)
    weight[:, :, ~keep] = 0.0
    cost = None
    if any(not (u.is_point and u.centre == 0) for u, _ in prices):
        cost = np.concatenate([np.repeat(draw(u, 0.0)[:, None], k, axis=1) for u, k in prices], 1)
    return ideal, weight, reversion, cost


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is None and b is None
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", [0, 1])
def test_monte_carlo_compile_draws_every_member_as_before(seed: int) -> None:
    sc = Scenario.model_validate(_uncertain_doc())
    s = 40
    rat = compile_ratification(sc, samples=s, rng=np.random.default_rng(seed))
    # the reference draws the status quo, then every body in turn, from the same generator
    rng = np.random.default_rng(seed)
    lo = np.array([i.scale.min for i in sc.issues])
    hi = np.array([i.scale.max for i in sc.issues])
    sq = np.full((s, len(sc.issues)), np.nan)
    for j, issue in enumerate(sc.issues):
        if issue.status_quo is not None:
            sq[:, j] = issue.status_quo.sample(rng, s, clip=(lo[j], hi[j]))
    d_of = {iid: j for j, iid in enumerate(sc.issue_ids())}
    for body, got in zip(sc.bodies, rat.bodies, strict=True):
        ideal, weight, reversion, cost = _reference_body(body, sq, d_of, lo, hi, (lo + hi) / 2, rng)
        assert _same(got.ideal, ideal) and _same(got.weight, weight), body.id
        assert _same(got.reversion, reversion) and _same(got.approval_cost, cost), body.id
        assert got.member_ids[0] == (f"{body.blocs[0].id}[1]" if body.blocs else body.members[0].id)
    assert (rat.bodies[0].weight[:, :50, d_of["budget"]] == 0).any()  # weights drawn at 0
    assert (rat.bodies[0].ideal[:, :, d_of["budget"]] < 0).any()


def test_body_quantities_from_the_compile_equal_the_formulas() -> None:
    sc = Scenario.model_validate(_uncertain_doc())
    params = uncertain_parameters(sc)
    values = draw_values(params, 64, np.random.default_rng(5))
    comp = compile_all(sc, params, values, np.random.default_rng(6))
    point = compile_ratification(sc)
    for body in (*comp.ratification.bodies, *point.bodies):
        # seeded by the compile (per-bloc rows) rather than computed from the full arrays
        assert {"weighted_ideal", "weight_sum"} <= set(vars(body))
        want = np.where(body.weight > 0, body.weight * body.ideal, 0.0)
        assert _same(body.weighted_ideal, want), body.id
        assert _same(body.weight_sum, body.weight.sum(axis=2)), body.id


def test_given_values_draw_no_randomness_and_spreads_are_drawn_once() -> None:
    u = Uncertain.model_validate([1, 2])
    assert u.draws_randomness and not Uncertain.model_validate(3).draws_randomness
    assert not Given.of(u, np.array([1.5, 1.25])).draws_randomness


def test_vote_counts_and_gains_equal_the_plain_formulas() -> None:
    sc = Scenario.model_validate(_uncertain_doc())
    rat = compile_ratification(sc, samples=30, rng=np.random.default_rng(2))
    x = np.random.default_rng(3).uniform(-50, 100, size=(30, 7, len(sc.issues)))
    for body in rat.bodies:
        g, a, b, _ = R._gain_terms(x, body)
        wt = np.swapaxes(body.weight, 1, 2)
        wzt = np.swapaxes(body.weighted_ideal, 1, 2)
        assert _same(g, a @ wt - 2 * (b @ wzt))
        assert _same(R._abs_max(a), np.abs(a).max(axis=2, keepdims=True))
        ok = R.approvals(x, body)
        assert _same(R.yes_counts(x, body), ok.sum(-1))


@pytest.mark.parametrize("cells", [1, 40, 333])
def test_votes_taken_a_slice_of_samples_at_a_time_equal_one_pass(monkeypatch, cells) -> None:
    sc = Scenario.model_validate(_uncertain_doc())
    rat = compile_ratification(sc, samples=31, rng=np.random.default_rng(4))
    gen = np.random.default_rng(5)
    x = gen.uniform(-50, 100, size=(31, 2, 3, len(sc.issues)))
    x[3, 1, 2, 0] = np.nan  # an unknown package value
    for body in rat.bodies:
        x[5, 0, 1] = body.reversion[5]  # indifferent members: the tie rule decides
    cases = [x, x[:, 0, 0], x[:1], x[0, 0, 0]]  # (S, ..., D), (S, D), one sample, a (D,) package
    want = {}
    for body in rat.bodies:
        for k, y in enumerate(cases):
            y1 = y[None] if y.ndim == 1 else y
            want[body.id, k] = R._approvals(y1, body)
    monkeypatch.setattr(R, "_VOTE_CELLS", cells)
    for body in rat.bodies:
        for k, y in enumerate(cases):
            if cells == 1:  # one sample per slice
                assert len(R._vote_slices(y[None] if y.ndim == 1 else y, body)) == 31
            assert _same(R.approvals(y, body), want[body.id, k]), (body.id, k)
            assert _same(R.yes_counts(y, body), R._count_yes(want[body.id, k])), (body.id, k)
    assert any(want[b.id, 0][5, 0, 1].any() for b in rat.bodies if b.ties == "yes")


def test_signing_rule_gives_signings_bits_for_every_form_and_deal() -> None:
    sc = load_scenario("russia-nato-2021")
    params = uncertain_parameters(sc)
    values = draw_values(params, 50, np.random.default_rng(1))
    comp = compile_all(sc, params, values, np.random.default_rng(2))
    arrays, cr = comp.arrays, comp.crisis
    rule = O.SigningRule(arrays, crisis=cr, options=O.OutcomeOptions(audience_cost_at="always"))
    for p in range(comp.ratification.packages.shape[1]):
        deal = comp.ratification.packages[:, p]
        for form in comp.ratification.forms:
            got = rule.sign(deal, rule.form(form.hazard, form.horizon))
            v = rule.values
            q = 1 - np.clip(form.hazard, 0.0, 1.0)
            # the challenger's margin as signing() wrote it before the rule was factored out
            s_x = cr.share(deal)
            short = O._shortfall_cost(cr.audience_challenger, cr.demand_challenger, s_x)
            m_ch = O.deal_value(v, s_x, q) - short - np.maximum(v.war, rule.v_alt)
            assert _same(got["margin"][:, 0], m_ch)
            rng_ = O.acceptable_range(arrays, cr, form.hazard, rule.options)
            ref = O.acceptable_range(arrays, cr, form.hazard, rule.options, rule=rule)
            assert all(_same(np.asarray(rng_[k]), np.asarray(ref[k])) for k in rng_)
    # without a crisis: the two signatories' utility margins
    flat = sc.model_copy(update={"crisis": None})
    fp = uncertain_parameters(flat)
    fv = draw_values(fp, 20, np.random.default_rng(4))
    comp2 = compile_all(flat, fp, fv, np.random.default_rng(5))
    deal = comp2.ratification.packages[:, 0]
    a = O.signing(comp2.arrays, deal, hazard=0.05, horizon=10.0)
    rule2 = O.SigningRule(comp2.arrays)
    b = rule2.sign(deal, rule2.form(0.05, 10.0))
    assert _same(a["margin"], b["margin"]) and a["signatories"] == b["signatories"]


def _reference_gap(arrays, public, forecast, kappa, rule, public_from, victory_gap):
    """:func:`achievement_gap` as it was written before its forecast-free terms were shared."""
    o = np.asarray(forecast, dtype=float)[:, None, :]
    width = arrays.scale_width[None, None, :]
    sq = arrays.status_quo[:, None, :]
    ref = np.where(np.isnan(sq), ((arrays.scale_min + arrays.scale_max) / 2)[None, None, :], sq)
    dem = public.demand
    sigma = np.sign(dem - ref)
    kap = C._expand(np.broadcast_to(C._f(kappa), (o.shape[0],)), 3)
    short = np.where(sigma == 0, np.abs(dem - o), np.maximum(0.0, sigma * (dem - o)))
    short_sq = np.where(np.isnan(sq), 0.0, np.where(sigma == 0, 0.0, np.abs(dem - ref)))
    mask = arrays.mask[None]
    score = np.where(mask, public.publicity * (short / width) ** kap, 0.0)
    sal = arrays.salience * mask
    tot = sal.sum(axis=2)
    gap = np.where(tot > 0, (sal * score).sum(axis=2) / np.where(tot > 0, tot, 1.0), 0.0)
    staked = mask & (public.publicity >= public_from)
    retreat = staked & (short > short_sq + 1e-9 * width)
    victory = ~retreat.any(axis=2) if rule == "no_retreat" else gap <= victory_gap
    victory = victory | ~staked.any(axis=2)
    cost = public.sensitivity * gap
    return score, gap, cost, retreat, staked.any(axis=(0, 2)), victory


@pytest.mark.parametrize("rule", ["no_retreat", "gap_threshold"])
def test_achievement_gaps_of_a_crisis_analysis_equal_the_formula(rule) -> None:
    sc = load_scenario("russia-nato-2021")
    params = uncertain_parameters(sc)
    values = draw_values(params, 40, np.random.default_rng(7))
    comp = compile_all(sc, params, values, np.random.default_rng(8))
    arrays, cr = comp.arrays, comp.crisis
    gen = np.random.default_rng(9)
    lo, hi = arrays.scale_min, arrays.scale_max
    forecasts = {f"m{k}": gen.uniform(lo, hi, size=(40, len(lo))) for k in range(3)}
    forecasts["sq"] = np.where(np.isnan(arrays.status_quo), lo, arrays.status_quo)
    opts = C.CrisisOptions(victory_rule=rule)
    res = C.analyse_crisis(cr, arrays, forecasts, opts)
    for name, fc in forecasts.items():
        want = _reference_gap(
            arrays, cr.public, fc, cr.kappa, rule, opts.public_from, opts.victory_gap
        )
        got = C.achievement_gap(
            arrays,
            cr.public,
            fc,
            kappa=cr.kappa,
            rule=rule,
            public_from=opts.public_from,
            victory_gap=opts.victory_gap,
        )
        for a, b in zip(
            (got.score, got.gap, got.cost, got.retreat, got.public, got.victory), want, strict=True
        ):
            assert _same(np.asarray(a), np.asarray(b)), name
        m = res["models"][name]
        assert _same(m["gap"], want[1]) and _same(m["audience_cost"], want[2])
        assert _same(m["victory"], want[5]) and _same(m["public"], want[4])
    assert res["models"]["m0"]["public"].any() and not res["models"]["m0"]["victory"].all()


def test_retaining_freed_memory_is_optional_and_changes_no_number(monkeypatch) -> None:
    monkeypatch.setattr(mc, "_retained", False)
    monkeypatch.setenv("DETENTE_MALLOC", "default")
    mc.retain_freed_memory()
    assert mc._retained is False  # opted out: the allocator is left alone
    monkeypatch.delenv("DETENTE_MALLOC")
    mc.retain_freed_memory()
    mc.retain_freed_memory()  # once per process
    assert mc._retained is True


def _default_block(samples: int = 64, seed: int = 3):
    sc = load_scenario("russia-nato-2021")
    params = uncertain_parameters(sc)
    values = draw_values(params, samples, np.random.default_rng(seed))
    return sc, compile_all(sc, params, values, np.random.default_rng(seed + 1))


def test_deferred_arrays_of_a_monte_carlo_body_are_built_on_first_read() -> None:
    import dataclasses
    import pickle

    from detente.scenario.ratification import _Deferred

    _, comp = _default_block()
    for body in comp.ratification.bodies:
        # weights given as points: one (M, D) matrix; ideal points and weights not yet built
        assert isinstance(vars(body)["ideal"], _Deferred), body.id
        assert isinstance(vars(body)["weight"], _Deferred), body.id
        assert body.n_members == len(body.member_ids) and body.n_samples == 64
        again = pickle.loads(pickle.dumps(body))
        ideal, weight = body.ideal, body.weight  # built on first read, then kept
        assert vars(body)["ideal"] is ideal and vars(body)["weight"] is weight
        assert ideal.shape == weight.shape == (64, body.n_members, len(body.reversion[0]))
        assert ideal.flags.c_contiguous and weight.flags.c_contiguous
        assert _same(again.ideal, ideal) and _same(again.weight, weight)
        want = np.where(weight > 0, weight * ideal, 0.0)
        assert _same(body.weighted_ideal, want) and _same(body.weight_sum, weight.sum(axis=2))
        assert _same(np.ascontiguousarray(body.weight_t), np.swapaxes(weight, 1, 2).copy())
        plain = dataclasses.replace(body)  # built arrays, no per-bloc shortcuts
        assert _same(plain.ideal, ideal) and "_weight_pattern" not in vars(plain)


@pytest.mark.parametrize("cells", [1 << 16, 97])
def test_votes_through_one_weight_matrix_equal_votes_through_the_full_weights(
    monkeypatch, cells
) -> None:
    import dataclasses

    monkeypatch.setattr(R, "_VOTE_CELLS", cells)
    _, comp = _default_block()
    rat = comp.ratification
    gen = np.random.default_rng(9)
    x = gen.uniform(rat.scale_min, rat.scale_max, size=(64, 6, len(rat.issue_ids)))
    x[:, 0] = rat.status_quo  # every member indifferent: the tie rule decides
    x[4, 1, 2] = np.nan
    for form in rat.forms:
        y = form.carry(x)
        for k in form.bodies:
            body = rat.bodies[k]
            assert "_weight_pattern" in vars(body)
            full = dataclasses.replace(body)  # the (S, M, D) arrays, read by the products
            assert "_weight_pattern" not in vars(full)
            g1, t1 = R.gains(y, body)
            g2, t2 = R.gains(y, full)
            assert _same(g1, g2) and _same(t1, t2), body.id
            assert _same(R.approvals(y, body), R.approvals(y, full)), body.id
            assert _same(R.yes_counts(y, body), R.yes_counts(y, full)), body.id


def test_approval_costs_of_a_compiled_senate_equal_the_distances() -> None:
    from tests.perf.test_ratify_fast import _old_approvals

    _, comp = _default_block(samples=32, seed=5)
    senate = comp.ratification.body("us-senate")
    assert senate.approval_cost is not None and (senate.approval_cost > 0).any()
    gen = np.random.default_rng(2)
    ideal, weight = senate.ideal, senate.weight
    x = np.repeat(senate.reversion[:, None, :], 40, axis=1)
    on = weight > 0
    for p in range(40):  # packages on (and a hair either side of) members' cost boundaries
        m = gen.integers(senate.n_members)
        dr = np.where(on[:, m], senate.reversion - ideal[:, m], 0.0)
        d_r = np.sqrt((weight[:, m] * dr**2).sum(-1))
        reach = np.maximum(d_r - senate.approval_cost[:, m], 0.0)[:, None]
        u = gen.normal(size=x.shape[::2])
        u /= np.sqrt((weight[:, m] * u**2).sum(-1, keepdims=True))
        eps = (0.0, 1e-13, -1e-13, 1e-9, -1e-9)[p % 5]
        x[:, p] = ideal[:, m] + reach * (1 + eps) * u
    x = np.clip(x, comp.ratification.scale_min, comp.ratification.scale_max)
    np.testing.assert_array_equal(R.approvals(x, senate), _old_approvals(x, senate))


def test_signing_every_deal_at_once_equals_signing_them_one_by_one() -> None:
    sc, comp = _default_block(samples=40, seed=6)
    rat = comp.ratification
    gen = np.random.default_rng(1)
    deals = np.concatenate(
        [rat.packages, gen.uniform(rat.scale_min, rat.scale_max, (40, 3, len(rat.issue_ids)))],
        axis=1,
    )
    cases = [(comp.arrays, comp.crisis, list(O.signatories(sc)))]
    flat = sc.model_copy(update={"crisis": None})
    fp = uncertain_parameters(flat)
    comp2 = compile_all(flat, fp, draw_values(fp, 40, gen), np.random.default_rng(2))
    cases += [(comp2.arrays, None, None), (comp2.arrays, None, [])]  # no signatory at all
    for arrays, crisis, who in cases:
        for opts in (O.OutcomeOptions(), O.OutcomeOptions(audience_cost_at="always")):
            rule = O.SigningRule(arrays, crisis=crisis, options=opts, required=who)
            for form in rat.forms:
                terms = rule.form(form.hazard, form.horizon)
                x = form.carry(deals)
                many = rule.sign_many(x, terms)
                assert _same(many, rule.sign_many(x, terms, rule.shares(x)))
                for p in range(x.shape[1]):
                    one = rule.sign(x[:, p], terms)
                    assert _same(many["signed"][p], one["signed"])
                    assert _same(np.ascontiguousarray(many["accepts"][p]), one["accepts"])
                    assert _same(many["escalation_no_deal"], one["escalation_no_deal"])
                    assert _same(many["ready"], one["ready"])
