"""GENIUS reader: numbers read by hand from the GENIUS 10.4 template files in the shared data
(``/work/shared/data/genius``, PROVENANCE.md), and small hand-written files for the other cases.

Mapping under test (docs/importers.md): item j of K on a discrete issue sits at 100 j / (K - 1);
an agent stands at its highest-evaluated item; salience = 100 x weight / max(1, sum of weights).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.errors import InputError
from detente.io.genius import GeniusOptions, read_genius, single_peaked
from tests.io.shared import shared_data

# EnglandZimbabwe/England.xml: <weight index="1..5" value=...>
ENGLAND_W = [
    0.3031462333758278,
    0.303346839835533,
    0.049028952379678074,
    0.04904500802207314,
    0.29543296638688804,
]
# EnglandZimbabwe/Zimbabwe.xml
ZIMBABWE_W = [
    0.19707980311909024,
    0.20134268816210074,
    0.15406697766287486,
    0.15407719183124569,
    0.29343333922468845,
]


def ez(*parts: str) -> Path:
    return shared_data("genius", *parts)


def test_england_zimbabwe_positions_and_saliences():
    g = read_genius(ez("EnglandZimbabwe", "EnglandZimbabwe_domain.xml"))
    assert [i.name for i in g.issues] == [
        "Size of Fund",
        "Impact on Other Aid",
        "Zimbabwe Trade Policy",
        "England Trade Policy",
        "Forum on Other Health Issues",
    ]
    assert [len(i.items) for i in g.issues] == [4, 4, 3, 3, 4]
    england, zimbabwe = g.agents
    assert (england.id, zimbabwe.id) == ("England", "Zimbabwe")
    # England.xml evaluations: fund 5,7,9,1 -> item 3 of 4 ($10 billion) at 200/3; aid 3,6,8,1 ->
    # item 3 of 4; Zimbabwe policy 12,1,7 -> item 1 of 3 (0); England policy 10,1,6 -> 0;
    # forum 7,10,4,1 -> item 2 of 4 at 100/3.
    assert england.position == pytest.approx([200 / 3, 200 / 3, 0, 0, 100 / 3], abs=1e-6)
    assert england.best[0] == "$10 billion"
    # Zimbabwe.xml: fund 9,7,5,1 -> 0; aid 8,5,3,1 -> 0; 1,9,5 -> 50; 1,19,9 -> 50; 11,9,7,1 -> 0
    assert zimbabwe.position == pytest.approx([0, 0, 50, 50, 0], abs=1e-6)
    # weights sum to 1 (to 1e-15) in both files, so salience is 100 x weight
    assert england.salience == pytest.approx([100 * w for w in ENGLAND_W], abs=1e-8)
    assert zimbabwe.salience == pytest.approx([100 * w for w in ZIMBABWE_W], abs=1e-8)
    assert england.reservation == 0.0 and england.discount is None
    assert england.capability == zimbabwe.capability == 1.0


def test_england_zimbabwe_warns_where_not_single_peaked():
    g = read_genius(ez("EnglandZimbabwe", "EnglandZimbabwe_domain.xml"))
    # England: 12,1,7 (Zimbabwe Trade Policy) and 10,1,6 (England Trade Policy) dip in the
    # middle; every other list in both files rises then falls.
    assert len(g.warnings) == 2
    assert "England on 'Zimbabwe Trade Policy'" in g.warnings[0]
    assert "England on 'England Trade Policy'" in g.warnings[1]
    assert all("not single-peaked" in w for w in g.warnings)


def test_uncertain_variant_imports_true_profile_and_keeps_its_settings():
    g = read_genius(
        ez("EnglandZimbabwe", "EnglandZimbabwe_domain.xml"),
        [ez("EnglandZimbabwe_uncertain_variant", "England10.xml")],
    )
    (a,) = g.agents
    # England10.xml: weights 0.3033744084442424, 0.30333306833810014, ... (sum 1.0000000)
    assert a.salience[0] == pytest.approx(30.33744084442424, abs=1e-8)
    assert a.salience[4] == pytest.approx(29.51728999141558, abs=1e-8)
    assert a.position == pytest.approx([200 / 3, 200 / 3, 0, 0, 100 / 3], abs=1e-6)
    assert a.reservation == 0.00617677 and a.discount == 1.0
    assert a.uncertain == {
        "comparisons": "10",
        "errors": "0",
        "fixed_seed": "true",
        "experimental": "false",
    }


def test_nonlinear_profile_is_refused_with_the_reason():
    with pytest.raises(InputError) as err:
        read_genius(ez("10issuesDiscountedwithRV", "10issuesDiscountedwithRV-domain.xml"))
    p = err.value.problems[0]
    # the file opens with a blank line and a comment before <?xml ...?>; the root is on line 4
    assert p.source.endswith("profile-1.xml") and p.line == 4
    assert "nonlinear" in p.message and "hyperRectangle" in p.message
    assert "per-issue weight" in p.message


def test_template_names_the_agents_and_their_files():
    g = read_genius(ez("Laptop", "laptop_domain.xml"))
    # laptop_domain.xml's <agent> entries: seller -> laptop_seller_utility.xml, then buyer
    assert [(a.id, Path(a.source).name) for a in g.agents] == [
        ("seller", "laptop_seller_utility.xml"),
        ("buyer", "laptop_buyer_utility.xml"),
    ]
    seller, buyer = g.agents
    # seller: Laptop 1,3,2 -> Macintosh (50); Harddisk 2,3,1 -> 80 Gb (50); Monitor 3,2,1 -> 0
    assert seller.position == [50.0, 50.0, 0.0]
    # buyer: 1,2,3 -> HP (100); 3,2,1 -> 60 Gb (0); 3,1,2 -> 19'' (0), not single-peaked
    assert buyer.position == [100.0, 0.0, 0.0]
    # laptop_buyer_utility.xml weights sum to 1.0000518041717541 > 1, so they are normalised
    w = [0.4452125771655631, 0.37808251708013424, 0.1767567099260568]
    assert buyer.salience == pytest.approx([100 * x / 1.0000518041717541 for x in w], abs=1e-8)
    assert sum(buyer.salience) == pytest.approx(100.0, abs=1e-8)
    assert g.warnings == [
        "buyer on 'External Monitor': evaluations 3, 1, 2 are not single-peaked on the item "
        "order, so distance from its best item misstates what it prefers"
    ]


def test_ampo_duplicate_item_and_ties():
    domain = ez("AMPOvsCity", "ampo_vs_city_template.xml")
    g = read_genius(domain)
    ampo = g.agents[0]
    assert ampo.id == "AMPO"
    # ampo_vs_city_ampo_space.xml lines 14-15 list item "0" twice (evaluations 0, then 8)
    assert ampo.evaluations[0] == [8, 36, 64, 84, 96, 100]
    assert any(":15: item '0'" in w and "kept the later evaluation 8" in w for w in g.warnings)
    # vacation > 5 years: 0,0,0,100,100 on 5 items -> tie between 75 and 100
    assert ampo.position[3] == 75.0
    assert read_genius(domain, options=GeniusOptions(ties="mean")).agents[0].position[3] == 87.5
    with pytest.raises(InputError, match="listed twice"):
        read_genius(domain, options=GeniusOptions(duplicate_items="error"))
    # weights 0.457 ... 0.097 sum to 1.000: salience is weight x 100
    assert ampo.salience[:2] == pytest.approx([45.7, 7.6], abs=1e-9)


def test_capabilities_by_name():
    domain = ez("EnglandZimbabwe", "EnglandZimbabwe_domain.xml")
    g = read_genius(domain, capabilities={"England": 2.5})
    assert [a.capability for a in g.agents] == [2.5, 1.0]
    with pytest.raises(InputError, match="no agent 'Wales'"):
        read_genius(domain, capabilities={"Wales": 1})


def test_profile_for_another_domain_is_refused():
    with pytest.raises(InputError, match="is 'Price' here but 'Size of Fund' in the domain"):
        read_genius(
            ez("EnglandZimbabwe", "EnglandZimbabwe_domain.xml"),
            [ez("ItexvsCypress", "ItexvsCypress_Itex.xml")],
        )


def test_profile_given_as_domain_is_refused():
    with pytest.raises(InputError, match="utility profile"):
        read_genius(ez("EnglandZimbabwe", "England.xml"))


DOMAIN = """<negotiation_template>
<utility_space>
<objective index="0" name="root">
  <issue index="1" name="Price" type="integer" lowerbound="10" upperbound="30"/>
  <issue index="2" name="Share" type="real"><range lowerbound="0.0" upperbound="1.0"/></issue>
  <issue index="3" name="Colour" type="discrete"><item index="1" value="red"/></issue>
</objective>
</utility_space>
</negotiation_template>
"""

# integer evaluator: clip(offset + slope (x - 10), 0, 1); real: clip(p1 x + p0, 0, 1) (GENIUS
# EvaluatorInteger / EvaluatorReal)
PROFILE = """<utility_space>
<objective index="0" name="root">
  <issue index="1" name="Price" type="integer" lowerbound="10" upperbound="30">
    <evaluator ftype="linear" offset="{offset}" slope="{slope}"/>
  </issue>
  <issue index="2" name="Share" type="real">
    <range lowerbound="0.0" upperbound="1.0"/>
    <evaluator ftype="{ftype}" parameter0="0" parameter1="0.5"/>
  </issue>
  <issue index="3" name="Colour" type="discrete">
    <item index="1" value="red" evaluation="1"/></issue>
  <weight index="1" value="0.6"/><weight index="2" value="0.6"/><weight index="3" value="0.3"/>
</objective>
<discount_factor value="0.9"/>
</utility_space>
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_integer_and_real_issues_keep_their_range(tmp_path):
    d = write(tmp_path, "d.xml", DOMAIN)
    buyer = write(tmp_path, "buyer.xml", PROFILE.format(offset=1, slope=-0.05, ftype="linear"))
    seller = write(tmp_path, "seller.xml", PROFILE.format(offset=0, slope=0.05, ftype="linear"))
    g = read_genius(d, [buyer, seller])
    price, _share, colour = g.issues
    assert (price.kind, price.low, price.high) == ("integer", 10.0, 30.0)
    assert price.anchors() == {10.0: "10", 30.0: "30"}
    assert colour.points() == [50.0]  # a single item sits mid-scale
    # buyer: 1 - 0.05 (x - 10) falls from 1 at 10; seller: 0.05 (x - 10) rises to 1 at 30;
    # both: 0.5 x on the share rises to 0.5 at 1
    assert g.agents[0].position == [10.0, 1.0, 50.0]
    assert g.agents[1].position == [30.0, 1.0, 50.0]
    # weights sum to 1.5 > 1: normalised like KTAB, 100 x w / 1.5
    assert g.agents[0].salience == pytest.approx([40.0, 40.0, 20.0])
    assert g.agents[0].discount == 0.9 and g.agents[0].reservation is None


def test_clipped_linear_evaluator_ties_over_the_flat_part(tmp_path):
    d = write(tmp_path, "d.xml", DOMAIN)
    # 0.5 + 0.05 (x - 10) reaches 1 at x = 20 and is clipped to 1 up to 30
    p = write(tmp_path, "p.xml", PROFILE.format(offset=0.5, slope=0.05, ftype="linear"))
    g = read_genius(d, [p])
    assert g.agents[0].position[0] == 20.0
    assert "every value from 20 to 30 is equally best" in g.warnings[0]
    assert read_genius(d, [p], options=GeniusOptions(ties="mean")).agents[0].position[0] == 25.0
    # offset 1 and a positive slope: 1 everywhere, the agent is indifferent (ties=first: 10)
    flat = write(tmp_path, "f.xml", PROFILE.format(offset=1, slope=0.05, ftype="linear"))
    assert read_genius(d, [flat]).agents[0].position[0] == 10.0
    # a constant evaluator on the share: indifferent over 0..1
    const = write(tmp_path, "c.xml", PROFILE.format(offset=0, slope=0.05, ftype="constant"))
    g = read_genius(d, [const], options=GeniusOptions(ties="mean"))
    assert g.agents[0].position[1] == 0.5


def test_profile_range_must_match_the_domain(tmp_path):
    d = write(tmp_path, "d.xml", DOMAIN)
    text = PROFILE.format(offset=0, slope=0.05, ftype="linear").replace(
        'upperbound="30"', 'upperbound="40"'
    )
    with pytest.raises(InputError, match="range"):
        read_genius(d, [write(tmp_path, "p.xml", text)])


def test_unsupported_evaluator_is_refused(tmp_path):
    d = write(tmp_path, "d.xml", DOMAIN)
    p = write(tmp_path, "p.xml", PROFILE.format(offset=0, slope=1, ftype="triangular"))
    with pytest.raises(InputError) as err:
        read_genius(d, [p])
    assert err.value.problems[0].line == 8  # the <evaluator> of Share
    assert "ftype 'triangular'" in err.value.problems[0].message


@pytest.mark.parametrize(
    "text, message, line",
    [
        (
            "<negotiation_template><utility_space>\n<objective>\n</utility_space>",
            "not well-formed",
            3,
        ),
        ("", "empty", None),
        ("<foo/>", "not a GENIUS domain", 1),
        ('<!DOCTYPE x [<!ENTITY a "b">]><utility_space/>', "DOCTYPE", 1),
        ("<utility_space><objective/></utility_space>", "declares no issues", 1),
    ],
)
def test_broken_domain_files(tmp_path, text, message, line):
    d = write(tmp_path, "d.xml", text)
    with pytest.raises(InputError) as err:
        read_genius(d, [d])
    assert message in err.value.problems[0].message
    assert err.value.problems[0].line == line


def test_no_profiles_beside_the_domain(tmp_path):
    d = write(tmp_path, "d.xml", DOMAIN)
    with pytest.raises(InputError, match="--profile"):
        read_genius(d)


def test_single_peaked():
    assert single_peaked([1, 2, 2, 3, 1]) and single_peaked([4]) and single_peaked([3, 2, 1])
    assert not single_peaked([2, 1, 2]) and not single_peaked([1, 3, 2, 3])


def test_multilateral_party_domain_finds_all_six_profiles():
    # party_domain.xml names party_FL_utility.xml / party_NN_utility.xml, which do not exist, so
    # the six <utility_space> files beside it are used, ids from their file names
    g = read_genius(ez("Party", "party_domain.xml"))
    assert [a.id for a in g.agents] == [f"party{k}_utility" for k in range(1, 7)]
    p1 = g.agents[0]
    # party1_utility.xml: weights 0.19, 0.28, 0.19, 0.05, 0.19, 0.10 (sum 1)
    assert p1.salience == pytest.approx([19, 28, 19, 5, 19, 10], abs=1e-9)
    # Food 3,2,2,1 -> Chips and Nuts (0); Drinks 1,3,2,1 -> Beer Only (item 2 of 4)
    assert p1.position[:2] == pytest.approx([0, 100 / 3], abs=1e-6)
    assert p1.best[:2] == ["Chips and Nuts", "Beer Only"]
