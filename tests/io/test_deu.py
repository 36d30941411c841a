"""Tests of the DEU loader against the data file itself, its README and a synthetic fixture.

Expected numbers are read off the raw files by hand (or by an independent csv pass in the test),
not produced by the loader.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from detente.errors import InputError
from detente.io.deu import ACTORS, era_of, load_deu, parse_date
from tests import _require

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "deu_small.csv"


def shared_dir() -> Path:
    return _require.shared_root()


def train_path() -> Path:
    return _require.shared("data", "deu", "deu-train.tsv")


# --- dates (README: "2014-07-04 ... stand for 14-07-04 (14 July 2004)") ----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23-03-00", dt.date(2000, 3, 23)),
        ("14-12-1999", dt.date(1999, 12, 14)),
        ("2014-07-04", dt.date(2004, 7, 14)),  # the README's own example
        ("1930-05-05", dt.date(2005, 5, 30)),  # 30-05-05 read as 1930
        ("1931-01-09", dt.date(2009, 1, 31)),
        ("999", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("bad", ["2004/13/45", "yesterday", "32-01-99", "14-07"])
def test_parse_date_rejects(bad):
    with pytest.raises(ValueError):
        parse_date(bad)


def test_era_cutoffs():
    assert era_of(dt.date(2000, 12, 31)) == "DEU I"
    assert era_of(dt.date(2001, 1, 1)) == "DEU II"
    assert era_of(dt.date(2011, 12, 31)) == "DEU II"
    assert era_of(dt.date(2012, 1, 1)) == "DEU III"
    assert era_of(None) == "unknown"


# --- the training file -------------------------------------------------------------------------


def raw_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(path.open(newline=""), delimiter="\t"))
    return rows[0], rows[1:]


def test_training_file_counts_match_an_independent_pass():
    path = train_path()
    header, rows = raw_rows(path)
    col = {h: i for i, h in enumerate(header)}
    no_out = [r for r in rows if r[col["out"]] == ""]
    few = [
        r
        for r in rows
        if r[col["out"]] != ""
        and sum(r[col[f"p{a}"]] != "" and r[col[f"s{a}"]] != "" for a in ACTORS) < 3
    ]
    d = load_deu(path)
    s = d.summary()
    # README: 251 issues from 99 proposals
    assert s["rows"] == 251 == len(rows)
    assert len({r[col["prnr"]] for r in rows}) == 99
    assert s["dropped_by_reason"] == {
        "fewer than 3 actors with position and salience": len(few),
        "no outcome": len(no_out),
    }
    assert (len(no_out), len(few)) == (11, 2)
    assert s["kept"] == 238 and s["proposals_kept"] == 95


def test_training_file_first_row_values():
    # first data row of deu-train.tsv: d00060i1 "buses", COD, QMV, intro "23-03-00", finact 999,
    # pcom 100, pep 50, pat 100, pbe 50, scom 80, sep 80, rp blank, out 50
    d = load_deu(train_path())
    i = d.issues[0]
    assert (i.issue, i.proposal, i.procedure, i.voting_rule) == ("d00060i1", "d00060", "COD", "QMV")
    assert i.intro == dt.date(2000, 3, 23) and i.adopted is None and i.era == "DEU I"
    assert np.isnan(i.reference_point) and i.outcome == 50.0
    assert d.position[0, :4].tolist() == [100.0, 50.0, 100.0, 50.0]
    assert d.salience[0, :2].tolist() == [80.0, 80.0]
    assert i.line == 2


def test_training_file_eras_and_arrays():
    d = load_deu(train_path())
    eras = d.column("era")
    assert {e: int((eras == e).sum()) for e in ("DEU I", "DEU II", "DEU III")} == {
        "DEU I": 118,
        "DEU II": 103,
        "DEU III": 17,
    }
    # DEU I (introduced before 2001) never has positions of states that joined in 2004 or later
    late = [ACTORS.index(a) for a in ("cz", "pl", "hu", "bu", "ro", "cr")]
    assert not d.present[eras == "DEU I"][:, late].any()
    a = d.arrays()
    assert a.position.shape == (1, 30, 238)
    # 27 actor-issues have a position but a blank salience: excluded by default, imputed on request
    blank = d.present & np.isnan(d.salience)
    assert int(blank.sum()) == 27
    assert int(a.mask.sum()) == int((d.present & ~np.isnan(d.salience)).sum())
    b = d.arrays(blank_salience="issue_mean")
    assert int(b.mask.sum()) == int(d.present.sum())
    assert np.array_equal(np.isnan(a.status_quo[0]), np.isnan(d.reference_point))
    assert np.array_equal(a.extras["outcome"], d.outcome)


# --- the synthetic semicolon fixture -----------------------------------------------------------


def test_semicolon_fixture():
    # tests/io/fixtures/deu_small.csv: BOM, CRLF, ';', decimal comma, mangled dates, 999, blanks
    d = load_deu(FIXTURE)
    s = d.summary()
    assert s["layout"] == "semicolon" and s["rows"] == 4 and s["kept"] == 2
    assert s["dropped_by_reason"] == {
        "fewer than 3 actors with position and salience": 1,
        "no outcome": 1,
    }
    first, last = d.issues
    assert first.outcome == 62.5  # "62,5"
    assert first.adopted == dt.date(2001, 12, 17)  # 2017-12-01 mangled
    assert (last.intro, last.era) == (dt.date(2016, 5, 25), "DEU III")  # 2025-05-16 mangled
    assert (last.voting_rule, last.voting_rule_raw) == ("QMV", "QMV(10)")
    # Croatia has a position and a blank salience on d16003i1
    cr = ACTORS.index("cr")
    assert d.position[1, cr] == 60.0 and np.isnan(d.salience[1, cr])
    assert not d.arrays().mask[cr, 1]
    assert d.arrays(blank_salience="issue_mean").salience[0, cr, 1] == pytest.approx(
        np.mean([100, 70, 50, 90]) / 100
    )


# --- malformed files ---------------------------------------------------------------------------


def write_variant(tmp_path: Path, edit) -> Path:
    lines = FIXTURE.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    rows = [ln.split(";") for ln in lines[1:]]
    edit(header, rows)
    out = tmp_path / "bad.csv"
    out.write_text("\n".join(";".join(r) for r in [header, *rows]) + "\n")
    return out


def col_of(header: list[str], name: str) -> int:
    return header.index(f'"{name}"')


@pytest.mark.parametrize(
    ("edit", "line", "field", "words"),
    [
        (lambda h, r: r[1].__setitem__(col_of(h, "pde"), "abc"), 3, "pde", "number from 0 to 100"),
        (lambda h, r: r[0].__setitem__(col_of(h, "sfr"), "150"), 2, "sfr", "number from 0 to 100"),
        (lambda h, r: r[2].__setitem__(col_of(h, "intro"), '"31-02-05"'), 4, "intro", "DD-MM-YY"),
        (lambda h, r: r[3].__setitem__(col_of(h, "proc"), '"OLP"'), 5, "proc", "COD or CNS"),
        (lambda h, r: r[0].__setitem__(col_of(h, "counvte"), '"Maj"'), 2, "counvte", "Unan"),
        (lambda h, r: r.__setitem__(1, r[1][:20]), 3, None, "fields"),
        (lambda h, r: r[3].__setitem__(col_of(h, "isnr"), '"n99001i1"'), 5, "isnr", "unique"),
        (lambda h, r: h.__setitem__(col_of(h, "out"), '"outcome"'), 1, "out", "missing column"),
    ],
)
def test_malformed_files_name_line_and_column(tmp_path, edit, line, field, words):
    path = write_variant(tmp_path, edit)
    with pytest.raises(InputError) as info:
        load_deu(path)
    p = info.value.problems[0]
    assert p.source == str(path)
    assert p.line == line
    if field is not None:
        assert p.field == field
    assert words in p.message


def test_unreadable_and_unknown_layouts(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_deu(tmp_path / "absent.tsv")
    comma = tmp_path / "comma.csv"
    comma.write_text("prnr,isnr\n1,2\n")
    with pytest.raises(InputError, match="TAB- or semicolon"):
        load_deu(comma)
    header_only = tmp_path / "header.tsv"
    header_only.write_text(
        FIXTURE.read_text(encoding="utf-8-sig").splitlines()[0].replace(";", "\t")
    )
    with pytest.raises(InputError, match="no issue rows"):
        load_deu(header_only)
