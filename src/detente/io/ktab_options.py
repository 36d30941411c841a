"""KTAB SMP's enumerated option values, as KTAB names them (its XML ``<ModelParameters>``).

They sit in the input layer so that both the KTAB importer (which checks a file's options) and
the SMP model (whose options they are) can use them without the importer reaching up into
``models``.
"""

from __future__ import annotations

import typing
from typing import Literal

VictoryProbModel = Literal["Linear", "Square", "Quartic", "Octic", "Binary"]
PCEModel = Literal["Conditional", "MarkovIncentive", "MarkovUniform"]
StateTransitions = Literal["Deterministic", "Stochastic"]
VotingRule = Literal["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"]
BigRAdjust = Literal["None", "OneThird", "Half", "TwoThirds", "Full"]
BigRRange = Literal["Min", "Mid", "Max"]
ThirdPartyCommit = Literal["NoCommit", "SemiCommit", "FullCommit"]
InterVecBrgn = Literal["S1P1", "S2P2", "S2PMax"]
BargnModel = Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"]

#: SMPOptions field -> its allowed values
OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "victory_prob_model": typing.get_args(VictoryProbModel),
    "pce_model": typing.get_args(PCEModel),
    "state_transitions": typing.get_args(StateTransitions),
    "voting_rule": typing.get_args(VotingRule),
    "big_r_adjust": typing.get_args(BigRAdjust),
    "big_r_range": typing.get_args(BigRRange),
    "third_party_commit": typing.get_args(ThirdPartyCommit),
    "inter_vec_brgn": typing.get_args(InterVecBrgn),
    "bargn_model": typing.get_args(BargnModel),
}
