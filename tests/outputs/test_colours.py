"""Actor colours in the report's charts (issue 20): distinct for up to 30 actors, grouped."""

from __future__ import annotations

import itertools

from detente.outputs.report import actor_colours
from detente.scenario.schema import Scenario


def _rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def test_thirty_actors_in_five_groups_get_distinct_colours():
    groups = ["NATO", "EU", "challenger", "neutral", "partners"]
    actors = [{"id": f"A{k}", "capability": 1, "group": groups[k % 5]} for k in range(30)]
    doc = {
        "meta": {"title": "thirty"},
        "actors": actors,
        "issues": [{"id": "x"}],
        "stances": [
            {"actor": a["id"], "issue": "x", "position": 50, "salience": 50} for a in actors
        ],
    }
    colours = actor_colours(Scenario.model_validate(doc))
    assert len(set(colours.values())) == 30
    group = {a["id"]: a["group"] for a in actors}
    for a, b in itertools.combinations(colours, 2):
        dist = (
            sum((x - y) ** 2 for x, y in zip(_rgb(colours[a]), _rgb(colours[b]), strict=True))
            ** 0.5
        )
        # actors of different groups never look alike; within a group shades stay apart
        assert dist >= (25 if group[a] != group[b] else 10), (a, b, colours[a], colours[b])
