"""The version compatibility matrix (J-003 §4.4): which component versions may run together.

Each row pairs a version pattern per component (``"1.0.x"``, ``"2.x"``, ``"1.2.3"``, ``"*"``)
with a status ("Phase 1"). A set of component versions that would run together in an
environment is compatible when one row matches every component of the set that the matrix
knows. Components the matrix never names are not judged; a set with fewer than two known
components cannot break a combination and is always compatible.

A refusal names the row the set breaks: the row that matches the component being changed
(the one a promotion brings in), else the row matching most of the set, and which components
it wants at which version.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from relman.errors import BlockedError


def matches_pattern(pattern: str, version: str) -> bool:
    """Whether ``"1.2.7"`` (or ``"1.2.7-hotfix.1"``, ``"1.2.7+b5"``) falls under ``"1.2.x"``."""
    if pattern.strip() in ("*", "x"):
        return True
    core = version.strip().split("+", 1)[0].split("-", 1)[0].split(".")
    wanted = pattern.strip().split(".")
    for position, want in enumerate(wanted):
        if want in ("x", "*", "X"):
            return True
        if position >= len(core) or want != core[position]:
            return False
    return True


@dataclass(frozen=True)
class CompatibilityRow:
    """One row of §4.4: component -> version pattern, and the row's status."""

    status: str
    versions: Mapping[str, str]
    index: int = 0  # position in the matrix (0-based), for messages

    def mismatches(self, running: Mapping[str, str]) -> list[str]:
        """Components of ``running`` this row names with another version (sorted)."""
        return sorted(
            c
            for c, v in running.items()
            if c in self.versions and not matches_pattern(self.versions[c], v)
        )

    def describe(self) -> str:
        """``row 3 "Phase 2": core 2.0.x, farm 1.2.x, b2b 2.0.x, mobile 2.0.x``"""
        parts = ", ".join(f"{c} {p}" for c, p in self.versions.items())
        label = f' "{self.status}"' if self.status else ""
        return f"row {self.index + 1}{label}: {parts}"


@dataclass(frozen=True)
class CompatibilityVerdict:
    """The judgement of one set of component versions."""

    compatible: bool
    running: Mapping[str, str]  # the set judged (every component, known or not)
    row: CompatibilityRow | None  # the matching row, or (refused) the row it breaks
    conflicts: tuple[str, ...] = ()  # components that break ``row``
    reason: str = ""

    def require(self, *, environment: str) -> CompatibilityVerdict:
        """Self when compatible; BlockedError (exit 7) naming the broken row otherwise."""
        if self.compatible:
            return self
        raise BlockedError(
            self.reason,
            where=f"compatibility matrix, environment {environment}",
            hint="promote a compatible set of component versions, or change [[compatibility]]",
            details={
                "running": dict(self.running),
                "row": dict(self.row.versions) if self.row else None,
                "status": self.row.status if self.row else None,
                "conflicts": list(self.conflicts),
            },
        )


@dataclass(frozen=True)
class CompatibilityMatrix:
    rows: tuple[CompatibilityRow, ...]

    @classmethod
    def of(cls, rows: Sequence[tuple[str, Mapping[str, str]]]) -> CompatibilityMatrix:
        """From ``(status, {component: pattern})`` pairs, in matrix order."""
        return cls(
            tuple(CompatibilityRow(status, dict(versions), n) for n, (status, versions) in
                  enumerate(rows))
        )  # fmt: skip

    @property
    def components(self) -> frozenset[str]:
        return frozenset(c for row in self.rows for c in row.versions)


def decide_compatibility(
    running: Mapping[str, str],
    matrix: CompatibilityMatrix,
    *,
    changed: Collection[str] = (),
) -> CompatibilityVerdict:
    """Judge the versions that would run together; ``changed`` are the components a promotion
    brings in (they pick the row a refusal shows)."""
    known = {c: v for c, v in running.items() if c in matrix.components}
    if len(known) < 2 or not matrix.rows:
        return CompatibilityVerdict(True, dict(running), None, reason="nothing to combine")
    for row in matrix.rows:
        if set(known) <= set(row.versions) and not row.mismatches(known):
            return CompatibilityVerdict(True, dict(running), row, reason=row.describe())
    broken = _row_broken(known, matrix, changed)
    conflicts = tuple(broken.mismatches(known)) or tuple(sorted(set(known) - set(broken.versions)))
    shown = ", ".join(f"{c} {known[c]}" for c in sorted(known))
    wanted = ", ".join(
        f"{c} {broken.versions[c]}" if c in broken.versions else f"no {c}" for c in conflicts
    )
    reason = (
        f"incompatible component versions ({shown}): they break compatibility matrix "
        f"{broken.describe()}, which wants {wanted}"
    )
    return CompatibilityVerdict(False, dict(running), broken, conflicts, reason)


def _row_broken(
    known: Mapping[str, str], matrix: CompatibilityMatrix, changed: Collection[str]
) -> CompatibilityRow:
    """The row a refusal shows: one that accepts the changed components' new versions (the
    set breaks it elsewhere), else the row matching most components (first wins on ties)."""

    def accepts_changed(row: CompatibilityRow) -> bool:
        named = [c for c in changed if c in known and c in row.versions]
        return bool(named) and all(matches_pattern(row.versions[c], known[c]) for c in named)

    for row in matrix.rows:
        if accepts_changed(row):
            return row
    return max(
        matrix.rows,
        key=lambda row: (
            sum(1 for c, v in known.items() if c in row.versions and matches_pattern(
                row.versions[c], v)),
            -row.index,
        ),
    )  # fmt: skip
