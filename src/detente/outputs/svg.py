"""Small SVG charts drawn as text on the server, for the workbench page.

Each chart is a self-contained ``<svg>`` element built from numbers: no plotting library (the
page answers every edit, and Matplotlib costs about a second to import), no fonts or scripts
fetched from anywhere, and colours and sizes as presentation attributes (the page's
Content-Security-Policy forbids inline ``style``). The same inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

#: colours of the charts (the report's palette: red for "at low", blue for "at high")
LOW, HIGH, NOW, BASE, AXIS = "#e6550d", "#3182bd", "#08519c", "#969696", "#444444"


def _f(x: float) -> str:
    """A coordinate with two decimals: short, and the same bytes on every machine."""
    return f"{x:.2f}"


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{AXIS}">{escape(text)}</text>'
    )


def tornado_svg(
    drivers: Sequence[dict[str, Any]], at_centres: float, title: str, width: int = 560
) -> str:
    """A tornado chart: each input's output at its low and high quantile around the centre.

    ``drivers`` are :func:`detente.analyses.sensitivity.oat`'s ranked entries
    (``input``, ``output_at_low``, ``output_at_high``).
    """
    label_w, row_h, top = 220, 20, 34
    plot_w = width - label_w - 20
    height = top + row_h * max(len(drivers), 1) + 24
    values = [at_centres] + [v for d in drivers for v in (d["output_at_low"], d["output_at_high"])]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        _text(4, 14, title, size=12),
        _text(label_w, 28, "red: input at its low quantile; blue: at its high", size=10),
    ]
    for k, d in enumerate(drivers):
        y = top + k * row_h
        parts.append(_text(label_w - 6, y + 13, str(d["input"])[:40], anchor="end", size=10))
        for v, colour in ((d["output_at_low"], LOW), (d["output_at_high"], HIGH)):
            a, b = sorted((x(at_centres), x(v)))
            parts.append(
                f'<rect x="{_f(a)}" y="{_f(y + 3)}" width="{_f(max(b - a, 1))}" '
                f'height="{row_h - 6}" fill="{colour}" opacity="0.8"/>'
            )
    xc = x(at_centres)
    bottom = top + row_h * max(len(drivers), 1)
    parts.append(f'<line x1="{_f(xc)}" y1="{top}" x2="{_f(xc)}" y2="{bottom}" stroke="{AXIS}"/>')
    parts.append(_text(label_w, bottom + 16, f"{lo:.3g}", size=10))
    parts.append(_text(xc, bottom + 16, f"centre {at_centres:.3g}", anchor="middle", size=10))
    parts.append(_text(label_w + plot_w, bottom + 16, f"{hi:.3g}", anchor="end", size=10))
    parts.append("</svg>")
    return "".join(parts)


def packages_svg(rows: Sequence[dict[str, Any]], model: str, width: int = 560) -> str:
    """Each issue's scale with the status quo, the baseline package and the current one.

    ``rows``: ``{"issue", "min", "max", "status_quo", "baseline", "now"}`` (None: not known).
    """
    label_w, row_h, top = 150, 22, 30
    plot_w = width - label_w - 20
    height = top + row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>The {escape(model)} package on each issue's scale</title>",
        _text(4, 14, f"{model} package: filled now, hollow baseline, grey bar status quo", size=11),
    ]
    for k, r in enumerate(rows):
        y = top + k * row_h + row_h / 2
        span = (r["max"] - r["min"]) or 1.0

        def x(v: float, r: dict[str, Any] = r, span: float = span) -> float:
            return label_w + (v - r["min"]) / span * plot_w

        parts.append(_text(label_w - 6, y + 4, str(r["issue"])[:24], anchor="end", size=10))
        parts.append(
            f'<line x1="{label_w}" y1="{_f(y)}" x2="{label_w + plot_w}" y2="{_f(y)}" '
            f'stroke="#cccccc"/>'
        )
        if r.get("status_quo") is not None:
            xs = x(r["status_quo"])
            parts.append(
                f'<rect x="{_f(xs - 1.5)}" y="{_f(y - 7)}" width="3" height="14" fill="{BASE}"/>'
            )
        if r.get("baseline") is not None:
            parts.append(
                f'<circle cx="{_f(x(r["baseline"]))}" cy="{_f(y)}" r="6" fill="none" '
                f'stroke="{BASE}" stroke-width="2"/>'
            )
        if r.get("now") is not None:
            parts.append(f'<circle cx="{_f(x(r["now"]))}" cy="{_f(y)}" r="4" fill="{NOW}"/>')
    parts.append("</svg>")
    return "".join(parts)


def curves_svg(
    xs: Sequence[float], ys: Sequence[float], title: str, x_label: str, width: int = 560
) -> str:
    """One output's curve as one input moves (a sensitivity sweep), with its ends labelled."""
    left, right, top, height = 60, 16, 24, 130
    plot_w, plot_h = width - left - right, height - top - 30
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 - x0 < 1e-12:
        x0, x1 = x0 - 1, x1 + 1
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 1, y1 + 1

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * plot_w

    def py(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * plot_h

    points = " ".join(f"{_f(px(a))},{_f(py(b))}" for a, b in zip(xs, ys, strict=True))
    bottom = top + plot_h
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">',
            f"<title>{escape(title)}</title>",
            _text(4, 14, title, size=11),
            f'<line x1="{left}" y1="{_f(bottom)}" x2="{left + plot_w}" y2="{_f(bottom)}" '
            f'stroke="{AXIS}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{_f(bottom)}" stroke="{AXIS}"/>',
            f'<polyline points="{points}" fill="none" stroke="{NOW}" stroke-width="2"/>',
            _text(left - 4, top + 8, f"{y1:.3g}", anchor="end", size=10),
            _text(left - 4, bottom, f"{y0:.3g}", anchor="end", size=10),
            _text(left, bottom + 14, f"{x0:.3g}", size=10),
            _text(left + plot_w / 2, bottom + 14, x_label, anchor="middle", size=10),
            _text(left + plot_w, bottom + 14, f"{x1:.3g}", anchor="end", size=10),
            "</svg>",
        ]
    )
