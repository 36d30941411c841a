"""KTAB SMP input readers.

Expected inputs are parsed from KTAB's own echo of what it read, at the top of the reference
logs in ``shared/data/ktab/reference/`` ("Actor: i name/desc/power", "pos[i, d] =",
"sal[i, d] ="), and from the XML files themselves. The shared folder is found through the
``DETENTE_SHARED`` environment variable, else ``../shared`` next to the repository root.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import numpy as np
import pytest

import detente.io.ktab as ktab_mod
from detente.errors import InputError
from detente.io.ktab import read_excel_xml, read_ktab, read_ktab_csv, read_smp_xml
from detente.models import get_model
from tests import _require

ROOT = Path(__file__).resolve().parents[2]
SHARED = _require.shared_root()
KTAB = SHARED / "data" / "ktab"
needs_data = pytest.mark.needs_shared("data", "ktab", "smp")


def echoed_inputs(log_name: str):
    """Names, capabilities (1 decimal), positions and saliences (3 decimals) KTAB echoed."""
    text = (KTAB / "reference" / log_name).read_text()
    head = text[: text.index("Position matrix")]
    names = re.findall(r"Actor: \d+ name: (.*?) ?$", head, re.M)
    power = [float(v) for v in re.findall(r"Actor: \d+ power:\s+(\S+)", head)]
    n = len(names)
    pos = np.zeros((n, 0))
    cells = re.findall(r"(pos|sal)\[\s*(\d+),\s*(\d+)\] =\s+(\S+)", head)
    d = 1 + max(int(c[2]) for c in cells)
    pos, sal = np.zeros((n, d)), np.zeros((n, d))
    for kind, i, k, v in cells:
        (pos if kind == "pos" else sal)[int(i), int(k)] = float(v)
    return names, np.array(power), pos, sal


@needs_data
@pytest.mark.parametrize(
    ("csv_name", "log_name"),
    [
        ("dummyData_3Dim.csv", "20170530_ref-dummyData_3Dim.txt"),
        ("SOE-Pol-Comp.csv", "20170530_ref-SOE-Pol-Comp.txt"),
    ],
)
def test_csv_matches_what_ktab_read(csv_name, log_name):
    sc = read_ktab_csv(KTAB / "smp" / csv_name)
    names, power, pos, sal = echoed_inputs(log_name)
    a = sc.arrays
    assert list(a.actor_ids) == names
    np.testing.assert_allclose(a.capability[0, :, 0], power, atol=0.05 + 1e-9)
    np.testing.assert_allclose(a.position[0], pos, atol=5e-4)
    np.testing.assert_allclose(a.salience[0] * 100, sal, atol=5e-4)
    assert a.capability.shape == a.position.shape and np.all(a.mask)
    assert sc.options == {} and sc.ideal_adjustment is None and sc.model_options() == {}


@needs_data
def test_no_final_comma_variant_and_excel_xml_read_the_same_table():
    ref = read_ktab_csv(KTAB / "smp" / "dummyData_3Dim.csv").arrays
    for sc in (
        read_ktab_csv(KTAB / "smp" / "dummyData_3Dim-no-final-comma.csv"),
        read_excel_xml(KTAB / "kmodel" / "dummyData_3Dim.xml"),
        read_ktab(KTAB / "kmodel" / "dummyData_3Dim.xml"),
    ):
        a = sc.arrays
        assert a.actor_ids == ref.actor_ids and a.issue_ids == ref.issue_ids
        # Excel stores 102.54300000000001 etc.: the same doubles as the CSV's text
        np.testing.assert_array_equal(a.position, ref.position)
        np.testing.assert_array_equal(a.salience, ref.salience)
        np.testing.assert_array_equal(a.capability, ref.capability)
    assert read_excel_xml(KTAB / "kmodel" / "dummyData_3Dim.xml").description == (
        "Dummy scenario to test reading format"
    )


@needs_data
def test_other_csv_examples_load():
    shapes = {
        "dummyData_6Dim.csv": (27, 6),  # row 1 has extra fields "0,,,,": ignored like KTAB
        "dummyData-a040.csv": (40, 1),  # no trailing commas, spaces after commas
        "SOE-Policy.csv": (26, 1),
        "SOE-Competitive.csv": (34, 1),
    }
    for name, shape in shapes.items():
        a = read_ktab(KTAB / "smp" / name).arrays
        assert (a.n_actors, a.n_issues) == shape, name
        assert np.all(a.salience.sum(axis=2) <= 1.0 + 1e-12)


@needs_data
def test_smp_xml_without_ideal_adjustment_defaults_to_identity():
    """smp/dummyData_3Dim.xml lacks <IdealAdjustment> (KTAB 1.4 refuses it) and
    <ModelParameters>: identity and default options, same arrays as the CSV, and the SMP run
    reproduces the CSV reference log's "Fractional change" lines."""
    sc = read_smp_xml(KTAB / "smp" / "dummyData_3Dim.xml")
    ref = read_ktab_csv(KTAB / "smp" / "dummyData_3Dim.csv").arrays
    np.testing.assert_array_equal(sc.ideal_adjustment, np.eye(7))
    assert sc.options == {} and sc.model_options() == {} and sc.seed == 3707583219545544125
    np.testing.assert_array_equal(sc.arrays.position, ref.position)
    np.testing.assert_array_equal(sc.arrays.salience, ref.salience)
    sim = get_model("smp", **sc.model_options()).simulate(sc.arrays, None, np.random.default_rng(0))
    text = (KTAB / "reference" / "20170530_ref-dummyData_3Dim.txt").read_text()
    expected = re.findall(r"Fractional change compared to first step: (\S+)", text)
    assert [f"{v:.4f}" for v in sim.fractional_change[:, 0]] == expected


@needs_data
def test_smp_example_xml_blank_coordinate_options_and_sticky_ideals():
    path = KTAB / "smp" / "smpExample.xml"
    with pytest.raises(InputError) as e:
        read_smp_xml(path)
    p = e.value.problems[0]
    assert p.line == 32 and p.field == "Alice.Position[1]" and "empty" in p.message
    assert str(path) in e.value.first_line and ":32:" in e.value.first_line
    sc = read_smp_xml(path, blank_value=52.8)
    a = sc.arrays
    assert a.actor_ids == ("Alice", "Bob", "Carol", "David", "Ellie")
    assert a.issue_ids == ("FirstDim", "SecondDim", "YADN")
    np.testing.assert_allclose(a.position[0, 0], [52.8, 39.8, 39.6])
    np.testing.assert_allclose(a.salience[0, 3], [0.156, 0.420, 0.143])
    np.testing.assert_allclose(a.capability[0, :, 0], [117.7, 93.2, 61.4, 135.4, 63.8])
    assert sc.options == {
        "victory_prob_model": "Linear",
        "pce_model": "MarkovIncentive",
        "state_transitions": "Stochastic",
        "voting_rule": "PropCbc",
        "big_r_adjust": "OneThird",
        "big_r_range": "Mid",
        "third_party_commit": "SemiCommit",
        "inter_vec_brgn": "S2P2",
        "bargn_model": "InitOnlyInterp",
    }
    acc = np.eye(5)
    acc[0, 0], acc[1, 1], acc[1, 0], acc[2, 2], acc[2, 3], acc[3, 3] = (
        0.87, 0.75, 0.07, 0.65, 0.13, 0.57,
    )  # fmt: skip
    np.testing.assert_array_equal(sc.ideal_adjustment, acc)
    model = get_model("smp", **sc.model_options())
    assert model.describe()["options"]["ideal_adjustment"][1] == [0.07, 0.75, 0.0, 0.0, 0.0]
    sim = model.simulate(a, 5, np.random.default_rng(1))
    assert np.all(np.isfinite(sim.positions)) and sim.positions.shape[2:] == (5, 3)


@needs_data
def test_reform_priority_xml_is_refused_with_a_reason():
    path = KTAB / "reformpri" / "reformpri-ex01.xml"
    with pytest.raises(InputError) as e:
        read_ktab(path)
    assert "reform-priority" in str(e.value) and e.value.problems[0].line == 12


# ----------------------------------------------------------------------------------------------
# Malformed inputs: one clear message naming the line and what is allowed

GOOD = (
    "S,desc,3,2,\n"
    "Actor,Description,Power,P1,S1,P2,S2,\n"
    "a,x,10,20,30,40,50,\n"
    "b,y,20,60,30,10,20,\n"
    "c,z,30,90,10,80,10,\n"
)


def write(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_csv_parses(tmp_path):
    a = read_ktab_csv(write(tmp_path, GOOD)).arrays
    np.testing.assert_array_equal(a.position[0], [[20, 40], [60, 10], [90, 80]])
    np.testing.assert_allclose(a.salience[0], [[0.3, 0.5], [0.3, 0.2], [0.1, 0.1]])
    np.testing.assert_array_equal(a.capability[0, :, 1], [10, 20, 30])


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("b,y,20,60,30,10,20,", "b,y,20,6O,30,10,20,", 4, "b.P1", "not a number"),
        ("b,y,20,60,30,10,20,", "b,y,20,160,30,10,20,", 4, "b.P1", "outside 0..100"),
        ("b,y,20,60,30,10,20,", "b,y,20,60,70,10,40,", 4, None, "at most 100"),
        ("b,y,20,60,30,10,20,", "b,y,-2,60,30,10,20,", 4, "b.Power", "capability > 0"),
        ("b,y,20,60,30,10,20,", "b,y,20,60,30", 4, None, "7 are needed"),
        ("b,y,20,60,30,10,20,", "b,y,20,60,30,10,", 4, "b.S2", "empty"),
        ("b,y,20,60,30,10,20,", "a,y,20,60,30,10,20,", 4, "Actor", "twice"),
        ("S,desc,3,2,", "S,desc,three,2,", 1, "nActors", "whole number"),
        ("S,desc,3,2,", "S,desc,2,2,", 1, "nActors", "from 3 to 250"),
        ("S,desc,3,2,", "S,desc,4,2,", 5, None, "declares 4 actors"),
    ],
)
def test_malformed_csv(tmp_path, old, new, line, field, words):
    with pytest.raises(InputError) as e:
        read_ktab_csv(write(tmp_path, GOOD.replace(old, new)))
    p = e.value.problems[0]
    assert p.line == line and p.field == field and words in p.message, str(e.value)


def test_extra_actor_rows_and_missing_file(tmp_path):
    with pytest.raises(InputError) as e:
        read_ktab_csv(write(tmp_path, GOOD + "d,w,5,1,1,1,1,\n"))
    assert e.value.problems[0].line == 6 and "more actor rows" in str(e.value)
    with pytest.raises(InputError) as e:
        read_ktab_csv(tmp_path / "missing.csv")
    assert "cannot read" in str(e.value)


XML = """<?xml version="1.0" encoding="UTF-8"?>
<Scenario>
  <name>T</name>
  <desc>test</desc>
  <prngSeed>7</prngSeed>
  <ModelParameters>
    <VictoryProbModel>Square</VictoryProbModel>
    <PCEModel>Conditional</PCEModel>
    <StateTransitions>Deterministic</StateTransitions>
    <VotingRule>Proportional</VotingRule>
    <BigRAdjust>No</BigRAdjust>
    <BigRRange>Min</BigRRange>
    <ThirdPartyCommit>FullCommit</ThirdPartyCommit>
    <InterVecBrgn>S1P1</InterVecBrgn>
    <BargnModel>PWCompInterp</BargnModel>
  </ModelParameters>
  <Dimensions><dName>D1</dName></Dimensions>
  <Actors>
    <Actor><name>A</name><description>a</description><capability>10</capability>
      <Position><dCoord>10</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
    <Actor><name>B</name><description>b</description><capability>20</capability>
      <Position><dCoord>50</dCoord></Position><Salience><dSal>60</dSal></Salience></Actor>
    <Actor><name>C</name><description>c</description><capability>30</capability>
      <Position><dCoord>90</dCoord></Position><Salience><dSal>70</dSal></Salience></Actor>
  </Actors>
  <IdealAdjustment>
    <iaPair><adjustingIdeal>A</adjustingIdeal><referencePos>A</referencePos>
      <adjust>0.5</adjust></iaPair>
  </IdealAdjustment>
</Scenario>
"""


def test_good_xml_with_schema_spellings(tmp_path):
    sc = read_smp_xml(write(tmp_path, XML, "s.xml"))
    assert sc.options["voting_rule"] == "Prop" and sc.options["big_r_adjust"] == "None"
    assert sc.options["bargn_model"] == "PWCompInterp" and sc.seed == 7
    assert sc.ideal_adjustment[0, 0] == 0.5 and sc.ideal_adjustment[1, 1] == 1.0
    model = get_model("smp", **sc.model_options())
    out = model.forecast(sc.arrays, np.random.default_rng(0))
    assert out.shape == (1, 1) and 10.0 <= out[0, 0] <= 90.0


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("<VotingRule>Proportional", "<VotingRule>Majority", 10, "allowed: Binary, PropBin, Prop"),
        ("<referencePos>A<", "<referencePos>Z<", 27, "not an actor"),
        ("<adjust>0.5<", "<adjust>1.5<", 28, "outside 0..1"),
        ("<dSal>60</dSal>", "<dSal>60</dSal><dSal>1</dSal>", 22, "one per dimension"),
        ("<capability>20<", "<capability>x<", 21, "not a number"),
        ("<Position><dCoord>50<", "<Position><dCoord>150<", 22, "outside 0..100"),
        ("</Actors>", "</Actor>", 25, "not well-formed"),
        ("<BargnModel>PWCompInterp</BargnModel>", "", 6, "all nine"),
    ],
)
def test_malformed_xml(tmp_path, old, new, line, words):
    assert old in XML
    with pytest.raises(InputError) as e:
        read_smp_xml(write(tmp_path, XML.replace(old, new), "s.xml"))
    p = e.value.problems[0]
    assert p.line == line and words in p.message, str(e.value)


def test_module_doctests():
    assert doctest.testmod(ktab_mod).failed == 0
