"""Issue control and veto players: who can move an issue at all.

``issues[].controlled_by`` names the actor that decides an issue alone (Russia's own force
deployments); ``issues[].veto`` names the actors whose consent moving an issue off its status quo
needs (NATO enlargement needs every ally: Tsebelis 2002). This module checks the fields; the
rule each model applies is in :mod:`detente.models.base` (``issue_control``), documented in
docs/scenario-format.md.
"""

from __future__ import annotations

from detente.scenario.schema import Loc, Scenario, section_check


@section_check
def check_control(sc: Scenario) -> list[tuple[Loc, str]]:
    """Controllers and veto players are known actors with a stance on the issue."""
    out: list[tuple[Loc, str]] = []
    actors = sc.actor_ids()
    taking_part = {(s.actor, s.issue) for s in sc.stances}
    for n, issue in enumerate(sc.issues):
        who = issue.controlled_by
        if who is not None:
            loc: Loc = ("issues", n, "controlled_by")
            if who not in actors:
                out.append((loc, f"unknown actor {who!r}; known: {', '.join(actors)}"))
            elif (who, issue.id) not in taking_part:
                out.append(
                    (
                        loc,
                        f"{who!r} has no stance on {issue.id!r}; the controller's position is "
                        "the issue's outcome, so give it one",
                    )
                )
        for k, v in enumerate(issue.veto):
            loc = ("issues", n, "veto", k)
            if v not in actors:
                out.append((loc, f"unknown actor {v!r}; known: {', '.join(actors)}"))
            elif (v, issue.id) not in taking_part:
                out.append(
                    (
                        loc,
                        f"veto player {v!r} has no stance on {issue.id!r}; its position "
                        "bounds what it consents to, so give it one",
                    )
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
