"""SQL repositories: map the domain records of :mod:`relman.domain.releases` to rows and back.

Each repository works on the connection of its unit of work, so everything it does is part of
that unit's one transaction. Names follow the port: ``get`` raises NotFoundError, ``find``
returns None, ``list`` returns a list.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from relman.adapters.db.jsonvalues import to_json_object
from relman.adapters.db.tables import checklist_items, evidence, releases, signoffs, waivers
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff, Waiver
from relman.errors import ConflictError, NotFoundError

_RELEASE_ID = re.compile(r"R-(\d+)")


class SqlReleaseRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, release: Release) -> None:
        try:
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(releases).values(_release_values(release)))
        except IntegrityError as exc:
            raise ConflictError(
                f"release {release.id} already exists", where=f"release {release.id}"
            ) from exc

    def find(self, release_id: str) -> Release | None:
        row = self._conn.execute(sa.select(releases).where(releases.c.id == release_id)).first()
        return None if row is None else _release_from_row(row._mapping)

    def get(self, release_id: str) -> Release:
        release = self.find(release_id)
        if release is None:
            raise NotFoundError(
                f"no release {release_id}",
                where=f"release {release_id}",
                hint="`relman release list` shows the known releases",
            )
        return release

    def list(self, *, phase: Phase | None = None) -> builtins.list[Release]:
        query = sa.select(releases).order_by(releases.c.created_at, releases.c.id)
        if phase is not None:
            query = query.where(releases.c.phase == phase.value)
        return [_release_from_row(row._mapping) for row in self._conn.execute(query)]

    def update(self, release: Release, expected_revision: int) -> Release:
        new_revision = expected_revision + 1
        values = _release_values(release)
        del values["id"]
        values["revision"] = new_revision
        result = self._conn.execute(
            sa.update(releases)
            .where(releases.c.id == release.id, releases.c.revision == expected_revision)
            .values(values)
        )
        if result.rowcount == 0:
            current = self._conn.execute(
                sa.select(releases.c.revision).where(releases.c.id == release.id)
            ).scalar_one_or_none()
            if current is None:
                self.get(release.id)  # raises NotFoundError
            raise ConflictError(
                f"release {release.id} was changed by someone else (revision {current}, "
                f"expected {expected_revision}); re-run the command",
                where=f"release {release.id}",
                details={"revision": current, "expected_revision": expected_revision},
            )
        return dataclasses.replace(release, revision=new_revision)

    def next_id(self) -> str:
        numbers = [
            int(match.group(1))
            for (release_id,) in self._conn.execute(sa.select(releases.c.id))
            if (match := _RELEASE_ID.fullmatch(release_id))
        ]
        return f"R-{max(numbers, default=0) + 1}"


class SqlSignOffRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, signoff: SignOff) -> None:
        _insert_for_release(self._conn, signoffs, _signoff_values(signoff))

    def list(
        self, release_id: str, *, gate: str | None = None, include_invalidated: bool = True
    ) -> builtins.list[SignOff]:
        query = sa.select(signoffs).where(signoffs.c.release_id == release_id)
        if gate is not None:
            query = query.where(signoffs.c.gate == gate)
        if not include_invalidated:
            query = query.where(signoffs.c.invalidated.is_(False))
        rows = self._conn.execute(query.order_by(signoffs.c.id))
        return [_signoff_from_row(row._mapping) for row in rows]

    def invalidate(self, release_id: str, *, keep_commit: str | None) -> int:
        return _invalidate(self._conn, signoffs, release_id, keep_commit)


class SqlEvidenceRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, item: Evidence) -> Evidence:
        values = {
            "release_id": item.release_id,
            "kind": item.kind,
            "summary": to_json_object(item.summary),
            "digest": item.digest,
            "source": item.source,
            "commit_sha": item.commit_sha,
            "at": item.at,
        }
        new_id = _insert_for_release(self._conn, evidence, values)
        return dataclasses.replace(item, id=new_id)

    def get(self, evidence_id: int) -> Evidence:
        row = self._conn.execute(sa.select(evidence).where(evidence.c.id == evidence_id)).first()
        if row is None:
            raise NotFoundError(f"no evidence #{evidence_id}", where=f"evidence {evidence_id}")
        return _evidence_from_row(row._mapping)

    def list(self, release_id: str, *, kind: str | None = None) -> builtins.list[Evidence]:
        query = sa.select(evidence).where(evidence.c.release_id == release_id)
        if kind is not None:
            query = query.where(evidence.c.kind == kind)
        rows = self._conn.execute(query.order_by(evidence.c.id))
        return [_evidence_from_row(row._mapping) for row in rows]


class SqlChecklistRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, item: ChecklistItem) -> None:
        values = {"release_id": item.release_id, **_checklist_values(item)}
        try:
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(checklist_items).values(values))
        except IntegrityError as exc:
            raise ConflictError(
                f"checklist item {item.checklist_id}/{item.item_id} already exists on release "
                f"{item.release_id} (or the release does not exist)",
                where=f"release {item.release_id}",
            ) from exc

    def get(self, release_id: str, checklist_id: str, item_id: str) -> ChecklistItem:
        row = self._conn.execute(
            sa.select(checklist_items).where(*_item_key(release_id, checklist_id, item_id))
        ).first()
        if row is None:
            raise NotFoundError(
                f"no checklist item {checklist_id}/{item_id} on release {release_id}",
                where=f"release {release_id}",
                hint="`relman checklist show` lists the items",
            )
        return _checklist_from_row(row._mapping)

    def list(
        self, release_id: str, *, checklist_id: str | None = None
    ) -> builtins.list[ChecklistItem]:
        query = sa.select(checklist_items).where(checklist_items.c.release_id == release_id)
        if checklist_id is not None:
            query = query.where(checklist_items.c.checklist_id == checklist_id)
        rows = self._conn.execute(query.order_by(checklist_items.c.id))
        return [_checklist_from_row(row._mapping) for row in rows]

    def update(self, item: ChecklistItem) -> None:
        result = self._conn.execute(
            sa.update(checklist_items)
            .where(*_item_key(item.release_id, item.checklist_id, item.item_id))
            .values(_checklist_values(item))
        )
        if result.rowcount == 0:
            self.get(item.release_id, item.checklist_id, item.item_id)  # raises NotFoundError


class SqlWaiverRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, waiver: Waiver) -> None:
        _insert_for_release(self._conn, waivers, dataclasses.asdict(waiver))

    def list(self, release_id: str, *, gate: str | None = None) -> builtins.list[Waiver]:
        query = sa.select(waivers).where(waivers.c.release_id == release_id)
        if gate is not None:
            query = query.where(waivers.c.gate == gate)
        rows = self._conn.execute(query.order_by(waivers.c.id))
        return [
            Waiver(
                release_id=row.release_id,
                gate=row.gate,
                criterion_id=row.criterion_id,
                person_id=row.person_id,
                reason=row.reason,
                commit_sha=row.commit_sha,
                at=row.at,
                invalidated=bool(row.invalidated),
            )
            for row in rows
        ]

    def invalidate(self, release_id: str, *, keep_commit: str | None) -> int:
        return _invalidate(self._conn, waivers, release_id, keep_commit)


def _invalidate(
    conn: sa.Connection, table: sa.Table, release_id: str, keep_commit: str | None
) -> int:
    """Mark a release's valid sign-offs or waivers not bound to ``keep_commit`` invalidated."""
    query = sa.update(table).where(table.c.release_id == release_id, table.c.invalidated.is_(False))
    if keep_commit is not None:
        query = query.where(sa.or_(table.c.commit_sha.is_(None), table.c.commit_sha != keep_commit))
    return int(conn.execute(query.values(invalidated=True)).rowcount)


def _insert_for_release(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> int:
    """Insert a row that belongs to a release; NotFoundError if the release does not exist."""
    try:
        with conn.begin_nested():
            result = conn.execute(sa.insert(table).values(values))
    except IntegrityError as exc:
        release_id = values["release_id"]
        raise NotFoundError(f"no release {release_id}", where=f"release {release_id}") from exc
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


# --- mapping --------------------------------------------------------------------------------


def _release_values(release: Release) -> dict[str, Any]:
    return {
        "id": release.id,
        "title": release.title,
        "release_type": release.release_type,
        "version": release.version,
        "components": list(release.components),
        "phase": Phase(release.phase).value,
        "planned_by": release.planned_by,
        "target_date": release.target_date,
        "created_at": release.created_at,
        "commit_sha": release.commit_sha,
        "scope_commits": list(release.scope_commits),
        "scope_tickets": list(release.scope_tickets),
        "revision": release.revision,
        "deployed_at": release.deployed_at,
    }


def _release_from_row(row: sa.RowMapping) -> Release:
    return Release(
        id=row["id"],
        title=row["title"],
        release_type=row["release_type"],
        version=row["version"],
        components=tuple(row["components"]),
        phase=Phase(row["phase"]),
        planned_by=row["planned_by"],
        target_date=row["target_date"],
        created_at=row["created_at"],
        commit_sha=row["commit_sha"],
        scope_commits=tuple(row["scope_commits"]),
        scope_tickets=tuple(row["scope_tickets"]),
        revision=row["revision"],
        deployed_at=row["deployed_at"],
    )


def _signoff_values(signoff: SignOff) -> dict[str, Any]:
    return dataclasses.asdict(signoff)


def _signoff_from_row(row: sa.RowMapping) -> SignOff:
    return SignOff(
        release_id=row["release_id"],
        gate=row["gate"],
        person_id=row["person_id"],
        role=row["role"],
        decision=row["decision"],
        comment=row["comment"],
        commit_sha=row["commit_sha"],
        at=row["at"],
        post_hoc=bool(row["post_hoc"]),
        invalidated=bool(row["invalidated"]),
    )


def _evidence_from_row(row: sa.RowMapping) -> Evidence:
    return Evidence(
        release_id=row["release_id"],
        kind=row["kind"],
        summary=row["summary"],
        digest=row["digest"],
        source=row["source"],
        commit_sha=row["commit_sha"],
        at=row["at"],
        id=row["id"],
    )


def _checklist_values(item: ChecklistItem) -> dict[str, Any]:
    return {
        "checklist_id": item.checklist_id,
        "item_id": item.item_id,
        "text": item.text,
        "ticked_by": item.ticked_by,
        "ticked_at": item.ticked_at,
        "proof": item.proof,
    }


def _checklist_from_row(row: sa.RowMapping) -> ChecklistItem:
    return ChecklistItem(
        release_id=row["release_id"],
        checklist_id=row["checklist_id"],
        item_id=row["item_id"],
        text=row["text"],
        ticked_by=row["ticked_by"],
        ticked_at=row["ticked_at"],
        proof=row["proof"],
    )


def _item_key(
    release_id: str, checklist_id: str, item_id: str
) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        checklist_items.c.release_id == release_id,
        checklist_items.c.checklist_id == checklist_id,
        checklist_items.c.item_id == item_id,
    )
