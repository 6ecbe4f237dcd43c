"""Which customers a caller may touch: staff limited to teams see only their teams' customers (DOMAIN.md 4).

The one rule is :func:`may_access`; everything else here derives from it so that reads, writes, lists and
registration can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.customers.domain.errors import CustomerOfAnotherTeam, TeamLimitedCaller, TeamNotAllowed
from services.customers.domain.text import clean_text

TEAM_MAX_LENGTH = 64
UNASSIGNED = ""


def may_access(principal_teams: Sequence[str], customer_team: str) -> bool:
    """Whether a caller limited to ``principal_teams`` (empty: no limit) may see a customer of ``customer_team``.

    An unassigned customer belongs to no team, so a team-limited caller does not see it: most customers
    are registered by the order saga (a service account without teams), and opening the unassigned pool
    to every team would undo the limit for them.
    """
    return not principal_teams or customer_team in principal_teams


def visible_teams(principal_teams: Sequence[str]) -> frozenset[str] | None:
    """The teams a list or search must be narrowed to, or None when the caller sees every customer.

    The same rule as :func:`may_access`, in the shape a query needs: a customer is visible exactly when
    the result is None or holds its team.
    """
    return frozenset(principal_teams) if principal_teams else None


def parse_team(raw: str, field: str = "team") -> str:
    """A team name as given (tokens compare exactly), trimmed, at most 64 characters; "" is unassigned."""
    return clean_text(field, raw, max_length=TEAM_MAX_LENGTH)


def registration_team(principal_teams: Sequence[str], requested: str) -> str:
    """The owning team of a customer a caller registers.

    A team-limited caller registers into its own teams (its first one unless it names another of its
    own), so it can always see what it created; a caller without limits names any team or none.
    """
    team = parse_team(requested)
    if not principal_teams:
        return team
    if not team:
        return principal_teams[0]
    if team not in principal_teams:
        raise TeamNotAllowed(team)
    return team


def check_upsert_match(principal_teams: Sequence[str], customer_team: str) -> None:
    """An upsert whose identity already belongs to a customer the caller may not see writes nothing.

    Refused rather than answered NOT_FOUND or with a new record: the identity (phone, tax id) is unique by
    design, so the only alternatives are leaking the other team's record or breaking that uniqueness. The
    refusal tells only that the identity is taken, which the caller's own data already implies.
    """
    if not may_access(principal_teams, customer_team):
        raise CustomerOfAnotherTeam()


def check_may_assign_teams(principal_teams: Sequence[str]) -> None:
    """Only callers without team limits move customers between teams (decided before any record is read)."""
    if principal_teams:
        raise TeamLimitedCaller()
