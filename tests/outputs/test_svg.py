"""The workbench's server-drawn SVG charts: same numbers, same bytes; text escaped; no styles."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from detente.outputs.svg import curves_svg, packages_svg, tornado_svg

DRIVERS = [
    {"input": "RUS capability <core>", "output_at_low": 40.0, "output_at_high": 55.5},
    {"input": "p_win & co", "output_at_low": 52.0, "output_at_high": 47.0},
]
ROWS = [
    {"issue": "enlargement", "min": 0, "max": 100, "status_quo": 100, "baseline": 90, "now": 80},
    {"issue": "donbas", "min": 0, "max": 100, "status_quo": None, "baseline": None, "now": 62.5},
]


def test_charts_are_deterministic_well_formed_and_escaped() -> None:
    charts = [
        tornado_svg(DRIVERS, 50.0, "compromise forecast of enlargement"),
        packages_svg(ROWS, "compromise"),
        curves_svg([1, 2, 3], [10.0, 12.5, 11.0], "P(escalation) under <x>", "RUS capability"),
    ]
    again = [
        tornado_svg(DRIVERS, 50.0, "compromise forecast of enlargement"),
        packages_svg(ROWS, "compromise"),
        curves_svg([1, 2, 3], [10.0, 12.5, 11.0], "P(escalation) under <x>", "RUS capability"),
    ]
    assert charts == again
    for svg in charts:
        root = ET.fromstring(svg)  # well-formed XML: every user text is escaped
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "style=" not in svg and "<script" not in svg and "href" not in svg
    assert "RUS capability &lt;core&gt;" in charts[0]
    assert charts[0].count("<rect") == 2 * len(DRIVERS)
    assert charts[1].count("<circle") == 3  # donbas has no baseline


def test_flat_inputs_do_not_divide_by_zero() -> None:
    flat = [{"input": "x", "output_at_low": 1.0, "output_at_high": 1.0}]
    assert "<svg" in tornado_svg(flat, 1.0, "flat")
    assert "<polyline" in curves_svg([1, 1], [2.0, 2.0], "flat", "x")
