"""Environment promotion (J-003 §6): Dev -> QA -> Staging -> Prod, one environment at a time.

`decide_promotion` judges whether a release may be deployed to an environment:

- ``path``: the environment exists and the release passed the one before it (no skipping);
- ``build``: the same build (version + artifact digest) that passed the previous environment;
- ``gates``: the gates the environment requires have passed (prod: G6 "Production Ready");
- ``testing_period``: before production, the release type's minimum testing period (§2) has
  been spent in QA or staging since the release first passed there; hotfixes are exempt;
- ``compatibility``: the component versions that would then run together fit a row of the
  compatibility matrix (§4.4).

Every check is evaluated (a refusal lists all that fail); `PromotionDecision.require` raises
the first one: NotFoundError for an unknown environment, BlockedError for the rest.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from relman.domain.compatibility import (
    CompatibilityMatrix,
    CompatibilityVerdict,
    decide_compatibility,
)
from relman.domain.deployment_records import Deployment
from relman.domain.lifecycle import compute_phase_order
from relman.domain.policy import GatePolicy, ReleaseTypePolicy
from relman.domain.releases import Phase, Release
from relman.errors import BlockedError, ConflictError, NotFoundError

HOTFIX = "hotfix"


@dataclass(frozen=True)
class PromotionPath:
    """The environments in promotion order and which of them are special."""

    order: tuple[str, ...]
    production: str
    testing: tuple[str, ...] = ("qa", "staging")  # where the testing period is spent

    def get(self, environment: str) -> str:
        """The environment; NotFoundError naming the known ones."""
        if environment in self.order:
            return environment
        raise NotFoundError(
            f"unknown environment '{environment}' (known: {', '.join(self.order)})",
            where="promotion.order",
        )

    def previous(self, environment: str) -> str | None:
        position = self.order.index(self.get(environment))
        return self.order[position - 1] if position > 0 else None


@dataclass(frozen=True)
class PromotionCheck:
    id: str  # path | build | gates | testing_period | compatibility
    ok: bool
    detail: str


@dataclass(frozen=True)
class PromotionDecision:
    release_id: str
    environment: str
    previous_environment: str | None
    version: str
    digest: str | None  # the build to deploy (None: no artifact yet)
    source: Deployment | None  # the passed deployment the build comes from
    checks: tuple[PromotionCheck, ...]
    compatibility: CompatibilityVerdict | None = None

    @property
    def allowed(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[PromotionCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def require(self) -> PromotionDecision:
        """Self when every check passed; BlockedError (exit 7) naming every failure."""
        if self.allowed:
            return self
        first = self.failures[0]
        if first.id == "compatibility" and self.compatibility is not None:
            self.compatibility.require(environment=self.environment)
        more = [f.detail for f in self.failures[1:]]
        raise BlockedError(
            f"cannot promote {self.release_id} ({self.version}) to {self.environment}: "
            f"{first.detail}" + (f"; also: {'; '.join(more)}" if more else ""),
            where=f"promotion to {self.environment}",
            details={"checks": [{"id": c.id, "ok": c.ok, "detail": c.detail} for c in self.checks]},
        )


@dataclass(frozen=True)
class PromotionRequest:
    release: Release
    environment: str
    path: PromotionPath
    deployments: Sequence[Deployment]  # every deployment of the release (any status)
    digest: str | None  # the artifact offered now (None: reuse the recorded build)
    gates: Mapping[str, bool]  # required gate -> passed
    gate_details: Mapping[str, str]  # required gate -> what is missing
    release_type: ReleaseTypePolicy
    now: datetime
    running: Mapping[str, str]  # component -> version now running in the environment
    components: Collection[str]  # the components the release brings in
    matrix: CompatibilityMatrix


def decide_promotion(request: PromotionRequest) -> PromotionDecision:
    r = request
    environment = r.path.get(r.environment)
    if r.release.phase.is_terminal:
        raise ConflictError(
            f"release {r.release.id} is {r.release.phase.value}: it cannot be deployed",
            where=f"release {r.release.id}",
            hint="to run an older version again use `relman rollback ENV --to VERSION`",
        )
    previous = r.path.previous(environment)
    passed = [d for d in r.deployments if d.passed]
    source = _latest([d for d in passed if d.environment == previous]) if previous else None
    checks = [_check_path(r, previous, passed, source)]
    build, digest = _check_build(r, source)
    checks.append(build)
    checks.append(_check_gates(r))
    if environment == r.path.production:
        checks.append(_check_testing_period(r, passed))
    running = {**r.running, **dict.fromkeys(r.components, r.release.version)}
    verdict = decide_compatibility(running, r.matrix, changed=r.components)
    checks.append(
        PromotionCheck(
            "compatibility",
            verdict.compatible,
            verdict.reason if not verdict.compatible else f"compatible ({verdict.reason})",
        )
    )
    return PromotionDecision(
        r.release.id, environment, previous, r.release.version, digest, source, tuple(checks),
        verdict,
    )  # fmt: skip


def _latest(deployments: Sequence[Deployment]) -> Deployment | None:
    return max(deployments, key=lambda d: (d.finished_at or d.created_at, d.id), default=None)


def _check_path(
    r: PromotionRequest,
    previous: str | None,
    passed: Sequence[Deployment],
    source: Deployment | None,
) -> PromotionCheck:
    if previous is None:
        return PromotionCheck("path", True, f"{r.environment} is the first environment")
    if source is not None:
        return PromotionCheck("path", True, f"passed {previous} in deployment {source.id}")
    been = ", ".join(dict.fromkeys(d.environment for d in passed)) or "none"
    return PromotionCheck(
        "path",
        False,
        f"promotion must not skip an environment: {r.release.id} has not passed {previous} "
        f"(passed: {been}; order: {' -> '.join(r.path.order)})",
    )


def _check_build(
    r: PromotionRequest, source: Deployment | None
) -> tuple[PromotionCheck, str | None]:
    recorded = source or _latest([d for d in r.deployments if d.digest])
    if recorded is None:
        if r.digest is None:
            return PromotionCheck(
                "build", False, "no build yet: pass --artifact with the release's artifact"
            ), None
        return PromotionCheck("build", True, f"new build sha256:{r.digest[:12]}"), r.digest
    if r.digest is not None and r.digest != recorded.digest:
        where = f"{recorded.environment} ({recorded.id})"
        return PromotionCheck(
            "build",
            False,
            f"not the same build: {where} ran sha256:{recorded.digest[:12]}, the artifact "
            f"given is sha256:{r.digest[:12]} (a version is one build)",
        ), recorded.digest
    label = f"same build as {recorded.environment} ({recorded.id})"
    return PromotionCheck("build", True, f"{label}: sha256:{recorded.digest[:12]}"), recorded.digest


def _check_gates(r: PromotionRequest) -> PromotionCheck:
    if not r.gates:
        return PromotionCheck("gates", True, f"{r.environment} requires no gate")
    missing = [g for g, ok in r.gates.items() if not ok]
    if not missing:
        return PromotionCheck("gates", True, f"passed {', '.join(r.gates)}")
    detail = "; ".join(f"{g}: {r.gate_details.get(g, 'not passed')}" for g in missing)
    return PromotionCheck(
        "gates", False, f"{r.environment} requires gate(s) {', '.join(missing)}: {detail}"
    )


def _check_testing_period(r: PromotionRequest, passed: Sequence[Deployment]) -> PromotionCheck:
    minimum = r.release_type.testing_period_min
    if HOTFIX in (r.release.release_type, r.release_type.name):
        return PromotionCheck("testing_period", True, "hotfixes are exempt (J-003 §2.3)")
    if minimum <= timedelta(0):
        return PromotionCheck("testing_period", True, "no minimum testing period")
    tested = [d for d in passed if d.environment in r.path.testing and d.finished_at]
    places = "/".join(r.path.testing)
    if not tested:
        return PromotionCheck(
            "testing_period", False, f"{r.release.id} has not passed {places} yet"
        )
    since = min(d.finished_at for d in tested if d.finished_at is not None)
    spent = r.now - since
    if spent >= minimum:
        return PromotionCheck(
            "testing_period", True, f"{_human(spent)} in {places} (minimum {_human(minimum)})"
        )
    return PromotionCheck(
        "testing_period",
        False,
        f"a {r.release.release_type} release needs {_human(minimum)} of testing in {places} "
        f"(J-003 §2); {r.release.id} has had {_human(spent)} since "
        f"{since.isoformat(timespec='minutes')}, so not before "
        f"{(since + minimum).isoformat(timespec='minutes')}",
    )


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts) or "0m"


def list_required_gates(
    path: PromotionPath, environment: str, gates: Sequence[GatePolicy]
) -> list[str]:
    """The J-003 rule for the gates a release passes before it deploys to ``environment``:
    none for the first environment (dev); every gate into TEST for the second (QA: G1, G2);
    into DEPLOY for the one before production (staging: G1-G4); every gate up to VERIFY for
    production (G1-G6, "All gates passed", §6.3)."""
    order = list(path.order)
    position = order.index(path.get(environment))
    if position == 0:
        return []
    targets = (Phase.TEST, Phase.DEPLOY, Phase.VERIFY)
    limit = targets[max(0, len(targets) - len(order) + position)]
    return [
        g.id for g in gates if compute_phase_order(Phase(g.to_phase)) <= compute_phase_order(limit)
    ]
