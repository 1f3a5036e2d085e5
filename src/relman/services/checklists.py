"""Checklist use cases (issue 3 §4, J-003 §7): show a release's checklists, tick items by hand,
open a checklist on demand (Appendix A ``A-pre``/``A-day``/``A-post``, §9.4 Rollback).

Items whose proof holds (evidence, a passed gate, an event) are ticked automatically by every
write use case (`relman.services.lifecycle.apply_auto_ticks`), with a link to the proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.checklists import decide_tick, get_item, plan_open_checklist
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import ChecklistItem, Release
from relman.services.lifecycle import Tx, apply_auto_ticks, get_actor, read, run_in_transaction

if TYPE_CHECKING:
    from relman.ports import Clock, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class ChecklistView:
    """One checklist of a release: its title and section from the policy, and its items."""

    id: str
    title: str
    section: str
    items: list[ChecklistItem]

    @property
    def ticked(self) -> int:
        return sum(1 for i in self.items if i.is_ticked)


def list_checklists(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    release_id: str,
    checklist_id: str | None = None,
) -> tuple[Release, list[ChecklistView]]:
    """The release's checklists in the order they were instantiated (or just one)."""

    def work(uow: UnitOfWork) -> tuple[Release, list[ChecklistView]]:
        release = uow.releases.get(release_id)
        items = list(uow.checklists.list(release_id, checklist_id=checklist_id))
        if checklist_id is not None and not items:
            policy.get_checklist(checklist_id)  # NotFoundError for an unknown id
        views: dict[str, list[ChecklistItem]] = {}
        for item in items:
            views.setdefault(item.checklist_id, []).append(item)
        return release, [_view(cid, found, policy) for cid, found in views.items()]

    return read(uow_factory, work)


def _view(checklist_id: str, items: list[ChecklistItem], policy: ReleasePolicy) -> ChecklistView:
    spec = policy.checklists.get(checklist_id)
    title = spec.title if spec else checklist_id
    section = spec.section if spec else ""
    return ChecklistView(checklist_id, title, section, items)


@dataclass(frozen=True)
class Ticked:
    item: ChecklistItem
    auto_ticked: list[ChecklistItem]


def tick_item(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    item_id: str,
    actor: str,
    note: str = "",
) -> Ticked:
    """``actor`` ticks one item (``7.1.1-3``) by hand; ConflictError when already ticked."""
    person = get_actor(policy, actor)

    def work(tx: Tx) -> Ticked:
        release = tx.uow.releases.get(release_id)
        item = get_item(tx.uow.checklists.list(release.id), item_id, release_id=release.id)
        ticked = decide_tick(item, release=release, person=person, now=tx.at, note=note)
        updated = tx.save_release(release, release)
        tx.uow.checklists.update(ticked)
        tx.record("checklist.tick", release.id, before=item, after=ticked)
        return Ticked(ticked, apply_auto_ticks(tx, updated, policy))

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)


@dataclass(frozen=True)
class OpenedChecklist:
    checklist: ChecklistView
    auto_ticked: list[ChecklistItem]


def open_checklist(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    checklist_id: str,
    actor: str,
) -> OpenedChecklist:
    """Add the checklist ``checklist_id`` (``A-pre``) to a release: the ones no release type
    instantiates (``applies_to = []``) are opened this way. Items whose proof already holds
    are ticked at once. NotFoundError for an unknown checklist, ConflictError if it is open."""
    person = get_actor(policy, actor)
    spec = policy.get_checklist(checklist_id)

    def work(tx: Tx) -> OpenedChecklist:
        release = tx.uow.releases.get(release_id)
        items = plan_open_checklist(release, spec, tx.uow.checklists.list(release.id))
        updated = tx.save_release(release, release)
        for item in items:
            tx.uow.checklists.add(item)
        tx.record(
            "checklist.open",
            release.id,
            after={"checklist": spec.id, "items": [i.item_id for i in items]},
        )
        ticked = apply_auto_ticks(tx, updated, policy)
        now = list(tx.uow.checklists.list(release.id, checklist_id=spec.id))
        return OpenedChecklist(_view(spec.id, now, policy), ticked)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)
