"""Ports: the interfaces services depend on. Adapters implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, NamedTuple, Protocol, Self

if TYPE_CHECKING:
    from relman.domain.audit import AuditVerdict
    from relman.domain.backups import BackupRecord
    from relman.domain.calendar import ScheduleEntry
    from relman.domain.deployment_records import (
        Deployment,
        DeploymentStep,
        EnvComponentState,
        EnvLock,
        ReleaseEvent,
        StoredBackup,
    )
    from relman.domain.health import HealthReport
    from relman.domain.incidents import Incident, IncidentUpdate
    from relman.domain.monitoring import WindowMetrics
    from relman.domain.outbox import OutboxEntry
    from relman.domain.prometheus import MetricsSnapshot
    from relman.domain.releases import (
        AuditEntry,
        ChecklistItem,
        Evidence,
        Phase,
        Release,
        SignOff,
        Waiver,
    )
    from relman.domain.retrospectives import Retrospective
    from relman.domain.smoke import SmokeReport
    from relman.domain.window_policy import Freeze, PhaseWindows
    from relman.domain.windows import EmergencyOverride


class RawCommit(NamedTuple):
    """One commit as git stores it, before Conventional Commits parsing.

    A named tuple, not a frozen dataclass: `git log` makes one per commit, and a frozen
    dataclass costs three times as much to create (0.1 s of CPU per 100k commits).
    """

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str  # ISO 8601 committer date, e.g. "2026-01-31T12:00:00+06:00"
    message: str  # full message: subject, blank line, body

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True, slots=True)
class TagRef:
    """A tag and the commit it points to (annotated tags are peeled)."""

    name: str
    sha: str


@dataclass(frozen=True, slots=True)
class FileChange:
    """One changed path between two revisions (status as in `git diff --name-status`)."""

    status: str  # A, M, D, R, C, T
    path: str
    old_path: str | None = None


class GitRepo(Protocol):
    """Read access to one git repository."""

    @property
    def root(self) -> str: ...

    def resolve(self, ref: str) -> str:
        """Full sha of a ref; NotFoundError if it does not exist."""
        ...

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        """Commits of a range (``A..B``, a ref, or a list of rev args), newest first, streamed."""
        ...

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        """All tags, or only those reachable from ``merged_into``; only names starting with
        ``prefix`` when given (lets git skip the reachability walk for other tags)."""
        ...

    def changed_files(self, base: str, head: str) -> list[FileChange]: ...

    def read_file(self, ref: str, path: str) -> str | None:
        """File content at a revision, or None when the path does not exist there."""
        ...

    def list_files(self, ref: str) -> list[str]:
        """Every path in the tree at a revision."""
        ...

    def is_shallow(self) -> bool: ...

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        ...


class Clock(Protocol):
    """The current time (injected so services and tests never read the system clock)."""

    def now(self) -> datetime:
        """Now, time-zone aware."""
        ...


# --- State store (issue 3) ------------------------------------------------------------------
# Implemented by relman.adapters.db (SqlStore, SqlUnitOfWork) and relman.testing
# (InMemoryUnitOfWork). Everything done inside one ``with uow:`` block is one transaction:
# it commits when the block ends normally and rolls back when it raises.


class ReleaseRepository(Protocol):
    def add(self, release: Release) -> None:
        """Store a new release; ConflictError if the id is taken."""
        ...

    def get(self, release_id: str) -> Release:
        """The release; NotFoundError naming the id."""
        ...

    def find(self, release_id: str) -> Release | None: ...

    def list(self, *, phase: Phase | None = None) -> Sequence[Release]:
        """Releases, oldest first (optionally only those in ``phase``)."""
        ...

    def update(self, release: Release, expected_revision: int) -> Release:
        """Write ``release`` if the stored revision is still ``expected_revision``.

        Returns the release with its new revision (``expected_revision + 1``); raises
        ConflictError when someone else changed it first, NotFoundError when it does not exist.
        """
        ...

    def next_id(self) -> str:
        """The id for the next new release: ``R-<n>``."""
        ...


class SignOffRepository(Protocol):
    def add(self, signoff: SignOff) -> None: ...

    def list(
        self, release_id: str, *, gate: str | None = None, include_invalidated: bool = True
    ) -> Sequence[SignOff]:
        """Sign-offs and rejections of a release, in the order they were given."""
        ...

    def invalidate(self, release_id: str, *, keep_commit: str | None) -> int:
        """Mark every valid sign-off not bound to ``keep_commit`` invalidated; return how many."""
        ...


class EvidenceRepository(Protocol):
    def add(self, evidence: Evidence) -> Evidence:
        """Store evidence; returns it with its ``id``."""
        ...

    def get(self, evidence_id: int) -> Evidence: ...

    def list(self, release_id: str, *, kind: str | None = None) -> Sequence[Evidence]:
        """Evidence of a release, oldest first."""
        ...


class ChecklistRepository(Protocol):
    def add(self, item: ChecklistItem) -> None:
        """Store a checklist item; ConflictError if (release, checklist, item) exists."""
        ...

    def get(self, release_id: str, checklist_id: str, item_id: str) -> ChecklistItem: ...

    def list(self, release_id: str, *, checklist_id: str | None = None) -> Sequence[ChecklistItem]:
        """Items in the order they were instantiated."""
        ...

    def update(self, item: ChecklistItem) -> None:
        """Write the tick state (ticked_by, ticked_at, proof, text) of an existing item."""
        ...


class WaiverRepository(Protocol):
    def add(self, waiver: Waiver) -> None: ...

    def list(self, release_id: str, *, gate: str | None = None) -> Sequence[Waiver]: ...

    def invalidate(self, release_id: str, *, keep_commit: str | None) -> int:
        """Mark every valid waiver not bound to ``keep_commit`` invalidated (stale); return how
        many. The same rule as `SignOffRepository.invalidate`."""
        ...


class AuditLog(Protocol):
    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        before: Mapping[str, object] | None,
        after: Mapping[str, object] | None,
        at: datetime,
    ) -> AuditEntry:
        """Append one hash-chained entry in the current transaction (appenders are serialized)."""
        ...

    def lock(self) -> None:
        """Wait for, then hold, the appenders' lock until the transaction ends: what is read
        after it cannot change before this transaction appends (read-then-append, once)."""
        ...

    def list(self, *, subject: str | None = None) -> Sequence[AuditEntry]:
        """Entries in seq order (optionally only those about ``subject``)."""
        ...

    def verify(self) -> AuditVerdict:
        """Check the whole chain: the first edited, deleted or reordered entry, if any."""
        ...


class OutboxRepository(Protocol):
    """Queued notifications (one row per recipient and channel) and their delivery state."""

    def add(self, entries: Sequence[OutboxEntry]) -> list[OutboxEntry]:
        """Queue rows; a row whose (event_key, recipient, channel) is queued already is skipped.
        Returns the rows added, with their ids."""
        ...

    def get(self, entry_id: int) -> OutboxEntry:
        """The row; NotFoundError naming the id."""
        ...

    def list(
        self,
        *,
        statuses: Collection[str] | None = None,
        subject: str | None = None,
        event_key: str | None = None,
        event_type: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> Sequence[OutboxEntry]:
        """Rows, oldest first (``since``: due at or after it; ``limit``: the newest N)."""
        ...

    def list_due(self, now: datetime, *, limit: int = 100) -> Sequence[OutboxEntry]:
        """Pending and failed rows whose next attempt is due by ``now``, oldest due first."""
        ...

    def claim(self, entry_id: int, *, attempts: int, until: datetime) -> bool:
        """Take a due row for one delivery attempt: only if it still has ``attempts`` attempts
        and is open, count the attempt and hold it until ``until``. False: someone else did."""
        ...

    def update(self, entry: OutboxEntry, *, expected_attempts: int | None = None) -> bool:
        """Write the delivery state (status, attempts, times, error, rendered text) of a row;
        with ``expected_attempts``, only if the stored row still has that many attempts (no
        other deliverer claimed it meanwhile). Returns whether it was written."""
        ...


class CalendarRepository(Protocol):
    """Imported release calendars (entries, phase windows, freezes) and window overrides."""

    def replace_schedule(
        self,
        *,
        source: str,
        entries: Sequence[ScheduleEntry],
        phases: Sequence[PhaseWindows],
        freezes: Sequence[Freeze],
    ) -> None:
        """Replace everything imported from ``source`` before (an import is repeatable);
        ConflictError when a key or phase name is taken by another calendar."""
        ...

    def list_entries(self) -> Sequence[ScheduleEntry]: ...

    def list_phases(self) -> Sequence[PhaseWindows]: ...

    def list_freezes(self) -> Sequence[Freeze]: ...

    def add_override(self, override: EmergencyOverride) -> EmergencyOverride:
        """Store an emergency override; returns it with its ``id``."""
        ...

    def list_overrides(
        self, *, release_id: str | None = None, environment: str | None = None
    ) -> Sequence[EmergencyOverride]: ...


class IncidentRepository(Protocol):
    def next_id(self) -> str:
        """The id for the next new incident: ``INC-<n>``."""
        ...

    def add(self, incident: Incident) -> None: ...

    def find(self, incident_id: str) -> Incident | None: ...

    def get(self, incident_id: str) -> Incident:
        """The incident; NotFoundError naming the id."""
        ...

    def list(
        self, *, status: str | None = None, release_id: str | None = None
    ) -> Sequence[Incident]:
        """Incidents, oldest first; ``release_id`` matches the affected or the hotfix release."""
        ...

    def update(self, incident: Incident, expected_revision: int) -> Incident:
        """Write it if nobody changed it since ``expected_revision`` (else ConflictError)."""
        ...

    def add_update(self, update: IncidentUpdate) -> None: ...

    def list_updates(self, incident_id: str) -> Sequence[IncidentUpdate]: ...


class RetrospectiveRepository(Protocol):
    def save(self, retro: Retrospective) -> Retrospective:
        """Store a release's retrospective (replacing an earlier one); returns it with its id."""
        ...

    def find(self, release_id: str) -> Retrospective | None: ...

    def list(self) -> Sequence[Retrospective]: ...


class DeploymentRepository(Protocol):
    """Deployments (``D-<n>``) and their steps, recorded as they run (issue 5)."""

    def next_id(self) -> str: ...

    def add(self, deployment: Deployment, steps: Sequence[DeploymentStep]) -> None: ...

    def get(self, deployment_id: str) -> Deployment:
        """The deployment; NotFoundError naming the id."""
        ...

    def find(self, deployment_id: str) -> Deployment | None: ...

    def list(
        self,
        *,
        environment: str | None = None,
        release_id: str | None = None,
        statuses: Collection[str] | None = None,
    ) -> Sequence[Deployment]:
        """Deployments, oldest first."""
        ...

    def update(self, deployment: Deployment, expected_revision: int) -> Deployment:
        """Write it if the stored revision is still ``expected_revision`` (ConflictError)."""
        ...

    def list_steps(self, deployment_id: str) -> Sequence[DeploymentStep]:
        """Steps in execution order (forward, then rollback)."""
        ...

    def add_steps(self, steps: Sequence[DeploymentStep]) -> None: ...

    def update_step(self, step: DeploymentStep) -> None:
        """Write the state (status, times, outcome, output tail, data) of a recorded step."""
        ...


class EnvLockRepository(Protocol):
    """One lease per environment (one deployment at a time)."""

    def find(self, environment: str) -> EnvLock | None: ...

    def list(self) -> Sequence[EnvLock]: ...

    def acquire(self, lock: EnvLock, *, replacing: str | None = None) -> None:
        """Store ``lock``: a new row, or (``replacing`` = the token of an expired or orphaned
        lease) take that one over. ConflictError when someone else got there first."""
        ...

    def renew(self, environment: str, token: str, expires_at: datetime) -> bool:
        """Extend the lease if ``token`` still holds it."""
        ...

    def release(self, environment: str, token: str) -> bool: ...


class EnvStateRepository(Protocol):
    """What runs in each environment, per component (``relman env status``)."""

    def put(self, state: EnvComponentState) -> None:
        """Insert or replace the row of (environment, component)."""
        ...

    def list(self, *, environment: str | None = None) -> Sequence[EnvComponentState]: ...


class BackupRepository(Protocol):
    """Pre-migration backups: size, checksum, verification (J-003 §6.4)."""

    def add(
        self, record: BackupRecord, *, environment: str, deployment_id: str | None
    ) -> StoredBackup: ...

    def list(
        self, *, environment: str | None = None, deployment_id: str | None = None
    ) -> Sequence[StoredBackup]:
        """Backups, oldest first."""
        ...


class ReleaseEventRepository(Protocol):
    """Recorded facts gates and checklists judge (``deployed:prod``, ``monitoring_stable``)."""

    def add(self, event: ReleaseEvent) -> None: ...

    def list(self, release_id: str) -> Sequence[ReleaseEvent]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository: ``with uow: ...``."""

    @property
    def releases(self) -> ReleaseRepository: ...
    @property
    def signoffs(self) -> SignOffRepository: ...
    @property
    def evidence(self) -> EvidenceRepository: ...
    @property
    def checklists(self) -> ChecklistRepository: ...
    @property
    def waivers(self) -> WaiverRepository: ...
    @property
    def calendar(self) -> CalendarRepository: ...
    @property
    def incidents(self) -> IncidentRepository: ...
    @property
    def retrospectives(self) -> RetrospectiveRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def deployments(self) -> DeploymentRepository: ...
    @property
    def env_locks(self) -> EnvLockRepository: ...
    @property
    def env_state(self) -> EnvStateRepository: ...
    @property
    def backups(self) -> BackupRepository: ...
    @property
    def events(self) -> ReleaseEventRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Commit now (the block goes on in a new transaction)."""
        ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What a schema upgrade did: the revision before (None: empty database) and after."""

    url: str
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


class StateStore(Protocol):
    """The database behind the units of work: where it is and its schema revision."""

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        ...

    def head_revision(self) -> str: ...

    def current_revision(self) -> str | None: ...

    def upgrade(self, revision: str = "head") -> MigrationResult: ...

    def ensure_upgraded(self) -> None: ...

    def unit_of_work(self) -> UnitOfWork: ...


# --- Targets and traffic (issue 5) ----------------------------------------------------------
# Implemented by relman.adapters.targets (LocalTarget, CommandTarget) and
# relman.adapters.switches (NginxSwitch, DirectSwitch).


@dataclass(frozen=True, slots=True)
class InstalledRelease:
    """One version unpacked on a target, kept for rollback until pruned."""

    version: str
    path: str  # the release directory
    digest: str  # sha256 hex of the artifact it came from
    installed_at: datetime


@dataclass(frozen=True, slots=True)
class Instance:
    """A running (or, with ``alive=False``, vanished) process of one version in one slot."""

    pid: int
    port: int
    version: str
    slot: str  # "blue", "green", "canary", "i0" ...: one instance per slot
    log_path: str
    started_at: datetime
    host: str = "127.0.0.1"
    alive: bool = True

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Route:
    """An upstream that receives traffic: ``addr`` ("127.0.0.1:8001") with a relative weight.

    Blue/green is one route; a canary is several with weights (e.g. 95 and 5). Weight 0 keeps a
    route on record without sending it traffic.
    """

    addr: str
    weight: int = 100
    label: str = ""  # the version or slot, for people


@dataclass(frozen=True, slots=True)
class StepResult:
    """The outcome of one command step (deploy, switch, health, rollback, migrate, backup)."""

    step: str
    argv: tuple[str, ...]
    returncode: int
    output_tail: str
    seconds: float


class DeployTarget(Protocol):
    """Where versions are installed and run (the ``local`` target: processes on this machine)."""

    @property
    def environment(self) -> str: ...

    def install(self, version: str, artifact_path: str, digest: str) -> InstalledRelease:
        """Unpack a verified artifact into the version's own release directory (idempotent)."""
        ...

    def list_installed(self) -> list[InstalledRelease]:
        """Installed versions, oldest install first."""
        ...

    def remove(self, version: str) -> None:
        """Delete an installed version; ConflictError while an instance runs it."""
        ...

    def start_instance(
        self,
        version: str,
        *,
        slot: str,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Instance:
        """Start a detached process and wait (bounded) until it is healthy."""
        ...

    def stop_instance(self, slot: str) -> bool:
        """Stop the slot's instance (SIGTERM, SIGKILL after a timeout); False if none."""
        ...

    def restart_in_place(
        self, version: str, *, slot: str, env: Mapping[str, str] | None = None
    ) -> Instance:
        """Replace the slot's instance on the same port (not zero-downtime)."""
        ...

    def find_instance(self, slot: str) -> Instance | None: ...

    def list_instances(self) -> list[Instance]:
        """Every recorded instance, rediscovered from state files, with liveness checked."""
        ...


class TrafficSwitch(Protocol):
    """Sends the environment's traffic to instances (nginx upstreams, or directly)."""

    @property
    def is_zero_downtime(self) -> bool: ...

    @property
    def public_url(self) -> str:
        """Where users (and smoke tests) reach the environment."""
        ...

    def ensure_running(self) -> None: ...

    def apply(self, routes: Sequence[Route]) -> None:
        """Route traffic to ``routes``; validated first, the previous routing kept on failure."""
        ...

    def current(self) -> list[Route]: ...

    def enable_maintenance(self, *, retry_after: int = 300) -> None: ...

    def disable_maintenance(self) -> None: ...

    def in_maintenance(self) -> bool: ...

    def stop(self) -> None: ...


class CommandSteps(Protocol):
    """A target whose every step is a configured command (the ``command`` target)."""

    def has_step(self, step: str) -> bool: ...

    def run_step(
        self, step: str, *, version: str, port: int | None = None, previous: str | None = None
    ) -> StepResult:
        """Run one step; IntegrationError (with the output tail) on failure or timeout."""
        ...


# --- Verification and database safety (issue 5) ---------------------------------------------
# Implemented by relman.adapters.backups (PgBackup), relman.adapters.migrations
# (CommandMigrations) and relman.adapters.probes (HealthChecks, ScrapeMetricsSource,
# PromQLMetricsSource).


class DatabaseBackup(Protocol):
    """Backups of one database: take, verify, restore (J-003 §6.4, §9.3)."""

    def take(self, *, label: str = "") -> BackupRecord:
        """A new archive with its size, sha256 and the source's rows per table; not verified.
        BackupFailedError (the tool's stderr tail) on failure, leaving no archive behind."""
        ...

    def verify(self, record: BackupRecord, *, mode: str | None = None) -> BackupRecord:
        """The record, verified (``full``: scratch restore + row counts; ``list``: readable
        table of contents); BackupFailedError when it does not verify."""
        ...

    def restore(self, record: BackupRecord) -> None:
        """Replace the database's contents with the archive (rollback); BackupFailedError."""
        ...


@dataclass(frozen=True, slots=True)
class MigrationRun:
    """One run of a migration command (forward or reverse)."""

    direction: str  # "forward" | "reverse"
    argv: tuple[str, ...]
    returncode: int
    output_tail: str
    seconds: float


class MigrationRunner(Protocol):
    """Runs a version's database migrations as a deployment step."""

    @property
    def has_reverse(self) -> bool:
        """A reverse migration (script or command) is configured."""
        ...

    def migrate(self) -> MigrationRun:
        """Apply the migrations; MigrationFailedError (output tail) on failure or timeout."""
        ...

    def reverse(self) -> MigrationRun:
        """Run the reverse migration; NotFoundError when none is configured."""
        ...


class ArtifactStore(Protocol):
    """Builds kept by their sha256 digest, so every environment deploys the same bytes."""

    def digest(self, path: str) -> str:
        """sha256 hex of a file; NotFoundError when it does not exist."""
        ...

    def keep(self, path: str) -> tuple[str, str]:
        """Copy a build into the store (atomic, idempotent): (stored path, sha256 hex)."""
        ...

    def check(self, stored: str, digest: str) -> None:
        """NotFoundError when the kept build is gone, InvalidInputError when it changed."""
        ...


class SmokeSuite(Protocol):
    """The smoke tests of one URL (J-003 §8.5, §14.1): HTTP checks and/or a command."""

    def run(self) -> SmokeReport: ...


class HealthProbe(Protocol):
    """One round of the §8.5 checks (HTTP, database, cache, integrations, error log)."""

    def check(self) -> HealthReport: ...


class MetricsSource(Protocol):
    """Where monitoring reads the §14.2 metrics of a target."""

    def scrape(self) -> MetricsSnapshot:
        """The metrics now; IntegrationError when the source does not answer."""
        ...

    def measure(self, before: MetricsSnapshot, after: MetricsSnapshot) -> WindowMetrics:
        """The §14.2 metrics of the window between two scrapes."""
        ...


# --- Notifications (issue 6) ----------------------------------------------------------------
# Implemented by relman.adapters.notifiers (SmtpNotifier, SlackNotifier, WebhookNotifier,
# FeedNotifier) and relman.testing (RecordingNotifier).


@dataclass(frozen=True, slots=True)
class NotificationMessage:
    """One rendered message for one channel (to one person, or to a role-wide channel once)."""

    id: str  # stable delivery id: the same on every retry (receivers may deduplicate on it)
    event_key: str  # the event it tells about (a feed entry's id)
    event_type: str  # "deployment_started", "emergency" ...
    subject: str  # what it is about: "R-1", "INC-3"
    title: str  # the subject line
    body: str  # plain text
    to: tuple[str, ...]  # addresses on person channels (email); empty on role-wide ones
    recipients: tuple[str, ...]  # person ids or roles, for people and payloads
    at: datetime  # when the event happened
    facts: Mapping[str, object]  # JSON values (the template's facts)


class Notifier(Protocol):
    """Delivers messages over one channel (SMTP, a webhook, the status-page feed)."""

    @property
    def target(self) -> str:
        """Where messages go, for people, secrets masked (``smtp://relman@mail:587``)."""
        ...

    def send(self, message: NotificationMessage) -> None:
        """Deliver or raise: IntegrationError when the channel is down or refuses (retried
        later), ConfigError when it is misconfigured (e.g. a secret is missing)."""
        ...
