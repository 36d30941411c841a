"""Issue control and veto players: who can move an issue at all.

``issues[].controlled_by`` names the actor that decides an issue alone (Russia's own force
deployments); ``issues[].veto`` names the actors whose consent moving an issue off its status quo
needs (NATO enlargement needs every ally: Tsebelis 2002). This module checks the fields; the
rule each model applies is in :mod:`detente.models.base` (``issue_control``), documented in
docs/scenario-format.md.
"""

from __future__ import annotations

from detente.scenario.schema import Loc, Scenario, section_check


def _with_stance(
    loc: Loc, who: str, issue: str, actors: list[str], taking_part: set, why: str
) -> list[tuple[Loc, str]]:
    """The actor must be known and take part in the issue (its position is what counts)."""
    if who not in actors:
        return [(loc, f"unknown actor {who!r}; known: {', '.join(actors)}")]
    if (who, issue) not in taking_part:
        return [(loc, f"{who!r} has no stance on {issue!r}; {why}, so give it one")]
    return []


@section_check
def check_control(sc: Scenario) -> list[tuple[Loc, str]]:
    """Controllers and veto players are known actors with a stance on the issue."""
    out: list[tuple[Loc, str]] = []
    actors = sc.actor_ids()
    taking_part = {(s.actor, s.issue) for s in sc.stances}
    for n, issue in enumerate(sc.issues):
        if issue.controlled_by is not None:
            out += _with_stance(
                ("issues", n, "controlled_by"),
                issue.controlled_by,
                issue.id,
                actors,
                taking_part,
                "the controller's position is the issue's outcome",
            )
        for k, v in enumerate(issue.veto):
            out += _with_stance(
                ("issues", n, "veto", k),
                v,
                issue.id,
                actors,
                taking_part,
                "a veto player's position bounds what it consents to",
            )
        if issue.veto and issue.status_quo is None:
            out.append(
                (
                    ("issues", n, "veto"),
                    f"a veto on {issue.id!r} guards its status quo; give the issue a status_quo",
                )
            )
        if len(set(issue.veto)) != len(issue.veto):
            out.append((("issues", n, "veto"), "a veto player is listed twice"))
    return out
