"""Retrospective use cases (J-003 §2.3, §13.1, §14.4): write one, list the due and overdue.

``new_retrospective`` fills the §14.4 template (``templates/retro/retrospective.md.j2``,
overridable like the notes templates) with the metrics relman recorded (the downtime measured
from the release's production deployments and their steps, `relman.domain.downtime`, unless
``--downtime`` gives it), stores it, optionally
writes it to a file (atomically), and ticks "Retrospective scheduled" on the release's
checklists (13.1-12 for a hotfix, 7.3-8 otherwise) in the same transaction.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from relman.domain.checklists import AUTO_TICKER
from relman.domain.deployment_records import DeploymentStatus
from relman.domain.downtime import DowntimeMeasure, compute_downtime
from relman.domain.incidents import IncidentPolicy
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import Release
from relman.domain.retrospectives import (
    RetroDue,
    Retrospective,
    compute_retro_due,
    compute_retro_metrics,
    decide_new_retro,
    list_due_retrospectives,
)
from relman.errors import InvalidInputError
from relman.services.lifecycle import Tx, get_actor, read, run_in_transaction

if TYPE_CHECKING:
    from relman.ports import Clock, UnitOfWork, UnitOfWorkFactory
    from relman.services.release_notes import TextFiles

TEMPLATE = "retrospective.md.j2"
RETRO_ITEMS = ("13.1-12", "7.3-8")  # "Retrospective scheduled" (§13.1, §7.3)


class TemplateRenderer(Protocol):
    def render(self, template: str, context: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class Retros:
    """What the retrospective use cases need (``services.retrospectives``)."""

    uow_factory: UnitOfWorkFactory
    policy: ReleasePolicy
    incident_policy: IncidentPolicy
    clock: Clock
    renderer: TemplateRenderer
    files: TextFiles
    timezone: str
    product: str = ""
    production: str = "prod"  # the environment whose deployments count (deployments.production)


def new_retrospective(
    retros: Retros,
    *,
    release_id: str,
    actor: str,
    output: Path | None = None,
    downtime_minutes: float | None = None,
    participants: Sequence[str] = (),
    replace: bool = False,
) -> Retrospective:
    """Write the release's retrospective from the §14.4 template with its metrics filled in."""
    from zoneinfo import ZoneInfo

    person = get_actor(retros.policy, actor)
    if downtime_minutes is not None and not (
        math.isfinite(downtime_minutes) and downtime_minutes >= 0
    ):
        raise InvalidInputError(
            f"--downtime must be a number of minutes, 0 or more (got {downtime_minutes:g})",
            where="--downtime",
        )
    people = [get_actor(retros.policy, p).id for p in participants] or [person.id]
    zone = ZoneInfo(retros.timezone)

    def work(tx: Tx) -> Retrospective:
        release = tx.uow.releases.get(release_id)
        decide_new_retro(release, tx.uow.retrospectives.list(), replace_existing=replace)
        metrics = compute_retro_metrics(
            release,
            incidents=tx.uow.incidents.list(release_id=release.id),
            zone=zone,
            downtime_minutes=downtime_minutes,
            downtime=_measure_downtime(tx.uow, release, retros.production),
            rolled_back=_was_rolled_back(tx.uow, release),
        )
        due = compute_retro_due(release, retros.incident_policy.retrospective_within)
        context = {
            "product": retros.product,
            "release": dataclasses.asdict(release),
            "date": tx.at.astimezone(zone).date().isoformat(),
            "participants": [retros.policy.get_person(p).name for p in people],
            "metrics": metrics.as_dict(),
            "due_at": due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due else None,
            "incidents": [
                {"id": i.id, "severity": i.severity, "title": i.title}
                for i in tx.uow.incidents.list(release_id=release.id)
            ],
        }
        content = retros.renderer.render(TEMPLATE, context)
        retro = tx.uow.retrospectives.save(
            Retrospective(
                release_id=release.id,
                created_by=person.id,
                created_at=tx.at,
                due_at=due,
                participants=tuple(people),
                metrics=metrics.as_dict(),
                content=content,
                path=str(output) if output else None,
            )
        )
        tx.writing = True
        tx.record("retro.new", release.id, after={"metrics": metrics.as_dict(), "due_at": due})
        _tick_scheduled(tx, release, f"retrospective written {tx.at:%Y-%m-%d %H:%M}")
        if output is not None:  # last: a failed write rolls the record back
            retros.files.write_texts({output: content})
        return retro

    return run_in_transaction(
        uow_factory=retros.uow_factory, clock=retros.clock, actor=person.id, work=work
    )


def _measure_downtime(uow: UnitOfWork, release: Release, production: str) -> DowntimeMeasure:
    deployments = uow.deployments.list(release_id=release.id, environment=production)
    return compute_downtime(
        ((d, uow.deployments.list_steps(d.id)) for d in deployments), production=production
    )


def _was_rolled_back(uow: UnitOfWork, release: Release) -> bool:
    rolled = (DeploymentStatus.ROLLED_BACK.value, DeploymentStatus.FAILED.value)
    deployments = uow.deployments.list(release_id=release.id, statuses=rolled)
    return bool(deployments) or any(d.rollback for d in uow.deployments.list(release_id=release.id))


def _tick_scheduled(tx: Tx, release: Release, proof: str) -> None:
    if release.phase.value == "CANCELLED":
        return
    for item in tx.uow.checklists.list(release.id):
        if item.item_id in RETRO_ITEMS and not item.is_ticked:
            ticked = dataclasses.replace(item, ticked_by=AUTO_TICKER, ticked_at=tx.at, proof=proof)
            tx.uow.checklists.update(ticked)
            tx.record(
                "checklist.auto_tick", release.id, before=item, after=ticked, actor=AUTO_TICKER
            )


def get_retrospective(retros: Retros, *, release_id: str) -> Retrospective:
    def work(uow: UnitOfWork) -> Retrospective:
        uow.releases.get(release_id)
        found = uow.retrospectives.find(release_id)
        if found is None:
            from relman.errors import NotFoundError

            raise NotFoundError(
                f"release {release_id} has no retrospective",
                where=f"release {release_id}",
                hint=f"relman retro new {release_id} --as PERSON",
            )
        return found

    return read(retros.uow_factory, work)


def list_retrospectives(retros: Retros, *, overdue_only: bool = False) -> list[RetroDue]:
    """Releases that owe a retrospective (hotfixes, §2.3), due first; ``overdue_only``: those
    still missing after the deadline."""
    now = retros.clock.now()

    def work(uow: UnitOfWork) -> list[RetroDue]:
        found = list_due_retrospectives(
            uow.releases.list(),
            uow.retrospectives.list(),
            within=retros.incident_policy.retrospective_within,
            now=now,
            incidents=uow.incidents.list(),
        )
        return [d for d in found if d.overdue or not overdue_only]

    return read(retros.uow_factory, work)


def list_written(retros: Retros) -> list[Retrospective]:
    return read(retros.uow_factory, lambda uow: list(uow.retrospectives.list()))
