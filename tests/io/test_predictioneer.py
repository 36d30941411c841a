"""Predictioneer-style tables: columns read as documented, and every mistake located by line and
column like detente's own CSV loader (src/detente/scenario/loading.py)."""

from __future__ import annotations

import pytest

from detente.errors import InputError
from detente.io.predictioneer import parse_predictioneer
from detente.scenario.loading import validate_document

MULTI = """Actor,Issue,Power,Position,Salience,Notes
United States,tariffs,100,80,60,free text is ignored
China,tariffs,90,20,90,
United States,climate,100,30,50,
"""


def parsed(text: str):
    t = parse_predictioneer(text, "t.csv", name="t")
    return t, validate_document(t.document, t.lines, "t.csv").scenario


def test_single_issue_table():
    t, sc = parsed("actor,clout,position,salience\nIran,30,90,80\nUSA,100,10,70\n")
    assert sc.issue_ids() == ["issue"]
    assert [(s.actor, s.position.centre, s.salience.centre) for s in sc.stances] == [
        ("Iran", 90.0, 80.0),
        ("USA", 10.0, 70.0),
    ]
    assert [a.capability.centre for a in sc.actors] == [30.0, 100.0]
    assert t.clout_column == "clout"


def test_multi_issue_table_with_power_and_names():
    t, sc = parsed(MULTI)
    assert sc.actor_ids() == ["United_States", "China"]
    assert sc.actors[0].name == "United States" and sc.actors[1].name is None
    assert sc.issue_ids() == ["tariffs", "climate"]
    assert [(s.actor, s.issue, s.position.centre) for s in sc.stances] == [
        ("United_States", "tariffs", 80.0),
        ("China", "tariffs", 20.0),
        ("United_States", "climate", 30.0),
    ]
    assert t.clout_column == "power"


def test_scale_and_status_quo_columns():
    _, sc = parsed(
        "actor,capability,position,salience,scale_min,scale_max,status_quo\n"
        "A,1,4,50,0,10,7\nB,2,9,50,0,10,7\n"
    )
    assert (sc.issues[0].scale.min, sc.issues[0].scale.max) == (0.0, 10.0)
    assert sc.issues[0].status_quo.centre == 7.0


@pytest.mark.parametrize(
    "text, line, field, message",
    [
        ("", None, None, "the file is empty"),
        ("actor,position,salience\nA,1,2\n", 1, None, "missing column clout"),
        ("actor,clout,power,position,salience\n", 1, None, "clout and power both give clout"),
        ("actor;clout;position;salience\n", 1, None, "not separated by commas"),
        ("actor,clout,position,salience,clout\n", 1, None, "duplicate column 'clout'"),
        ("actor,clout,position,salience\nA,,50,50\n", 2, "clout", "empty cell"),
        ("actor,clout,position,salience\nA,1,5o,50\n", 2, "position", "'5o' is not a number"),
        ('actor,clout,position,salience\nA,1,"5,5",50\n', 2, "position", "decimal comma"),
        ("actor,clout,position,salience\nA,-1,50,50\n", 2, "clout", "negative"),
        ("actor,clout,position,salience\nA,1,50,50,9\n", 2, None, "row has 5 fields"),
        ("actor,clout,position,salience\nA,1,50,inf\n", 2, "salience", "finite number"),
        ("actor,clout,position,salience\n,1,50,50\n", 2, "actor", "empty actor"),
        ("actor,clout,position,salience\nA,1,50,50\nA,1,60,50\n", 3, None, "add an issue column"),
        (
            "actor,issue,clout,position,salience\nA,x,1,50,50\nA,y,2,60,50\n",
            3,
            "clout",
            "an actor has one clout",
        ),
        ("actor,clout,position,salience\n", 1, None, "no data rows"),
    ],
)
def test_broken_tables(text, line, field, message):
    with pytest.raises(InputError) as err:
        parse_predictioneer(text, "bad.csv")
    p = err.value.problems[0]
    assert message in p.message
    assert (p.source, p.line, p.field) == ("bad.csv", line, field)


@pytest.mark.parametrize(
    "text, line, field, message",
    [
        # validation of the built document names the table's line (same checks as scenarios)
        (
            "actor,clout,position,salience\nA,1,50,50\nB,1,150,50\n",
            3,
            "stances[1].position",
            "outside the allowed range 0 to 100",
        ),
        (
            "actor,clout,position,salience\nA,1,50,0.5\nB,1,40,0.8\n",
            2,
            "stances[0].salience",
            "multiply by 100",
        ),
    ],
)
def test_out_of_range_values_are_located(text, line, field, message):
    t = parse_predictioneer(text, "bad.csv")
    with pytest.raises(InputError) as err:
        validate_document(t.document, t.lines, "bad.csv")
    p = err.value.problems[0]
    assert message in p.message
    assert (p.line, p.field) == (line, field)


def test_all_problems_are_reported():
    with pytest.raises(InputError) as err:
        parse_predictioneer("actor,clout,position,salience\nA,x,50,50\nB,1,y,50\n", "bad.csv")
    assert [p.line for p in err.value.problems] == [2, 3]
    assert "and 1 more problem" in err.value.first_line
