"""The one composition root: settings -> domain policies + concrete adapters -> services.

Entrypoints (CLI, API) call :func:`build_services` and never build adapters themselves.
Everything is created lazily so that a command pays only for what it uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from relman.errors import ConfigError, InvalidVersionError
from relman.settings_core import CoreSettings, validate_core
from relman.settings_source import PolicySource, read_policy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from relman.domain.branches import BranchPolicy
    from relman.domain.commits import CommitPolicy
    from relman.domain.components import VersioningPolicy
    from relman.domain.flow import FlowPolicy
    from relman.domain.notes import NotesPolicy
    from relman.domain.policy import ReleasePolicy
    from relman.ports import Clock, GitRepo, Notifier, StateStore, UnitOfWorkFactory
    from relman.services.calendar import Calendar, IcsWriter
    from relman.services.demo import DemoKit, DemoOptions
    from relman.services.deploy_runtime import Deployments
    from relman.services.flow import FlowGit
    from relman.services.flow_records import FlowRecords
    from relman.services.incidents import Incidents
    from relman.services.lifecycle import Lifecycle
    from relman.services.notifications import Notifications
    from relman.services.release_notes import NotesRenderer, TextFiles
    from relman.services.retrospectives import Retros
    from relman.settings import Settings


@dataclass
class Services:
    """Wired collaborators for one repository and one policy."""

    core: CoreSettings  # the sections reading git needs; the whole `Settings` when given one
    repo_path: Path
    overrides: dict[str, object] = field(default_factory=dict)
    policy_file: Path | None = None  # where the policy came from; None: the built-in defaults
    source: PolicySource | None = None  # the policy as read, for `settings` on first use
    # wraps the repository when it is first opened (the CLI counts the commits of long logs)
    git_view: Callable[[GitRepo], GitRepo] | None = None

    @cached_property
    def settings(self) -> Settings:
        """The whole policy, validated on first use: commands that only read git (``version``,
        ``notes``, ``changelog``, ``lint``) never build the models of the J-003 sections."""
        from relman.settings import Settings, validate_source

        if isinstance(self.core, Settings):
            return self.core
        # no file read (a CoreSettings given in code): the whole policy around those sections
        source = self.source or PolicySource(raw=self.core.model_dump(mode="json"))
        return validate_source(source)

    @cached_property
    def git(self) -> GitRepo:
        injected = self.overrides.get("git")
        if injected is not None:
            git: GitRepo = injected  # type: ignore[assignment]
        else:
            from relman.adapters.git_cli import GitCli

            git = GitCli(self.repo_path)
        return self.git_view(git) if self.git_view is not None else git

    @cached_property
    def store(self) -> StateStore:
        """The state store: ``RELMAN_DATABASE_URL``, else SQLite in ``<repo>/.relman/``."""
        injected = self.overrides.get("store")
        if injected is not None:
            return injected  # type: ignore[return-value]
        from relman.adapters.db.engine import resolve_database_url
        from relman.adapters.db.store import SqlStore

        return SqlStore(resolve_database_url(self.repo_path))

    @cached_property
    def uow_factory(self) -> UnitOfWorkFactory:
        """New units of work (``with services.uow_factory() as uow:``); the first use upgrades
        the database to the newest schema."""
        injected = self.overrides.get("uow_factory")
        if injected is not None:
            return injected  # type: ignore[return-value]
        store = self.store
        store.ensure_upgraded()
        from relman.services.policy_audit import (
            PolicyStamp,
            audit_policy_changes,
            compute_policy_digest,
        )

        stamp = PolicyStamp(  # a changed policy is audited by the next write (docs/store.md)
            digest=compute_policy_digest(self.settings.model_dump(mode="json")),
            source=str(self.policy_file) if self.policy_file else "defaults",
            people=frozenset(self.settings.people),
        )
        return audit_policy_changes(store.unit_of_work, stamp)

    @cached_property
    def commit_policy(self) -> CommitPolicy:
        """``[commits]`` as the domain's CommitPolicy (J-003 §5.4)."""
        from relman.domain.commits import CommitPolicy, CommitType
        from relman.domain.versions import Bump

        cfg = self.core.commits
        return CommitPolicy(
            types={
                name: CommitType(bump=Bump.parse(t.bump), section=t.section)
                for name, t in cfg.types.items()
            },
            breaking_bump=Bump.parse(cfg.breaking_bump),
            zero_major_breaking_bumps_minor=cfg.zero_major_breaking_bumps_minor,
            merge_commits=cfg.merge_commits,
            ticket_patterns=tuple(cfg.ticket_patterns),
            allowed_scopes=tuple(cfg.allowed_scopes),
            header_max_length=cfg.header_max_length,
            visible_refactor_footer=cfg.visible_refactor_footer,
        )

    @cached_property
    def branch_policy(self) -> BranchPolicy:
        """Git Flow branch names (J-003 §5.2) from ``[flow]`` (main or master is main)."""
        from relman.domain.branches import BranchPolicy

        cfg = self.core.flow
        return BranchPolicy(
            main_names=(cfg.main, *(n for n in ("main", "master") if n != cfg.main)),
            develop_name=cfg.develop,
            feature_prefix=cfg.feature_prefix,
            bugfix_prefix=cfg.bugfix_prefix,
            release_prefix=cfg.release_prefix,
            hotfix_prefix=cfg.hotfix_prefix,
        )

    @cached_property
    def flow_policy(self) -> FlowPolicy:
        """``[flow]`` (J-003 §5) as the domain's FlowPolicy."""
        from relman.domain.flow import FlowPolicy
        from relman.domain.tags import TagFormat

        cfg = self.core.flow
        return FlowPolicy(
            branches=self.branch_policy,
            tag_format=TagFormat(self.core.versioning.tag_format),
            release_tag_message=cfg.release_tag_message,
            hotfix_tag_message=cfg.hotfix_tag_message,
            bump_message=cfg.bump_message,
            notes_message=cfg.notes_message,
            version_files=tuple(cfg.version_files),
            remote=cfg.remote,
            push=cfg.push,
            ticket_patterns=tuple(self.core.commits.ticket_patterns),
            hotfix_token=self.core.versioning.hotfix_token,
        )

    @cached_property
    def git_flow(self) -> FlowGit:
        """Executes Git Flow plans with the git executable (restoring everything on failure)."""
        injected = self.overrides.get("git_flow")
        if injected is not None:
            return injected  # type: ignore[return-value]
        from relman.adapters.git_flow import GitFlow

        return GitFlow(self.repo_path)

    @cached_property
    def flow_records(self) -> FlowRecords:
        """The release store as ``relman flow`` sees it: asked whether it exists first, and
        opened (``lifecycle``) only then, so that ``flow`` never creates a database."""
        from relman.services.flow_records import FlowRecords

        return FlowRecords(store=self.store, open_lifecycle=lambda: self.lifecycle)

    @cached_property
    def versioning_policy(self) -> VersioningPolicy:
        """``[versioning]`` and ``[components.*]`` as the domain's VersioningPolicy (J-003 §4)."""
        from relman.domain.components import Component, VersioningPolicy
        from relman.domain.tags import TagFormat
        from relman.domain.versions import Version

        cfg = self.core.versioning
        try:
            initial = Version.parse(cfg.initial_version)
        except InvalidVersionError as exc:
            raise ConfigError(str(exc), where="versioning.initial_version") from exc
        return VersioningPolicy(
            tag_format=TagFormat(cfg.tag_format),
            initial_version=initial,
            components={
                name: Component(
                    name=name,
                    paths=tuple(c.paths),
                    tag_format=TagFormat(c.tag_format),
                    scheme=c.scheme,
                )
                for name, c in self.core.components.items()
            },
            commit_policy=self.commit_policy,
            prerelease_tokens=tuple(cfg.prerelease_tokens),
            hotfix_token=cfg.hotfix_token,
            production_branch=self.core.flow.main,
        )

    @cached_property
    def notes_policy(self) -> NotesPolicy:
        """``[project]`` and ``[notes]`` as the domain's NotesPolicy (J-003 §10)."""
        from relman.domain.notes import NotesPolicy

        project, cfg = self.core.project, self.core.notes
        return NotesPolicy(
            product=project.name,
            title=cfg.title,
            default_severity=cfg.default_severity,
            archive_dir=cfg.archive_dir,
            changelog_file=cfg.changelog_file,
            migration_paths=tuple(cfg.migration_paths),
            config_paths=tuple(cfg.config_paths),
            dependency_files=tuple(cfg.dependency_files),
            upgrade_instructions=tuple(cfg.upgrade_instructions),
            rollback_instructions=cfg.rollback_instructions,
            support_url=project.support_url,
            support_contact=project.support_contact,
            hotfix_token=self.core.versioning.hotfix_token,
        )

    @cached_property
    def notes_renderer(self) -> NotesRenderer:
        """Jinja2 templates: ``notes.template_dir`` (relative to the repository) first."""
        from relman.adapters.templates import JinjaNotesRenderer

        folder = self.core.notes.template_dir
        return JinjaNotesRenderer(self.repo_root / folder if folder else None)

    @cached_property
    def files(self) -> TextFiles:
        """Local text files, written atomically."""
        injected = self.overrides.get("files")
        if injected is not None:
            return injected  # type: ignore[return-value]
        from relman.adapters.files import LocalFiles

        return LocalFiles()

    @cached_property
    def release_policy(self) -> ReleasePolicy:
        """Release types, gates G1-G7, checklists and people as the domain's ReleasePolicy
        (J-003 §2, §3.3, §7); resolved by `relman.policy_resolve`."""
        from relman.policy_resolve import resolve_release_policy

        return resolve_release_policy(self.settings)

    @cached_property
    def clock(self) -> Clock:
        """The current time in the project's time zone (``project.timezone``)."""
        injected = self.overrides.get("clock")
        if injected is not None:
            return injected  # type: ignore[return-value]
        from zoneinfo import ZoneInfo

        from relman.adapters.clock import SystemClock

        return SystemClock(ZoneInfo(self.core.project.timezone))

    @cached_property
    def lifecycle(self) -> Lifecycle:
        """The release lifecycle's collaborators: store, release policy, clock, git (lazily)."""
        from relman.services.lifecycle import Lifecycle

        return Lifecycle(
            uow_factory=self.uow_factory,
            policy=self.release_policy,
            clock=self.clock,
            versioning=self.versioning_policy,
            open_git=lambda: self.git,
        )

    @cached_property
    def repo_root(self) -> Path:
        """The top of the work tree (``--repo`` may name a subfolder)."""
        return Path(self.git.root)

    @cached_property
    def calendar(self) -> Calendar:
        """Deployment windows, freezes, imported calendars and overrides (J-003 §12)."""
        from relman.policy_settings.calendar import resolve_freezes, resolve_window_policy
        from relman.services.calendar import Calendar

        s = self.settings
        return Calendar(
            uow_factory=self.uow_factory,
            policy=self.release_policy,
            windows=resolve_window_policy(s.windows, s.emergency, s.environments),
            freezes=resolve_freezes(s.windows),
            clock=self.clock,
            promotion_order=tuple(s.promotion.order),
            open_notifications=lambda: self.notifications,
        )

    @cached_property
    def deployments(self) -> Deployments:
        """Environments, promotion, deployments and rollback (J-003 §6, §8, §9): targets,
        switches and verification per environment (`relman.bootstrap_deployments`)."""
        from relman.bootstrap_deployments import build_deployments
        from relman.services.calendar import check_deployment_window

        return build_deployments(
            self.settings,
            root=self.repo_path,
            uow_factory=self.uow_factory,
            policy=self.release_policy,
            clock=self.clock,
            open_notifications=lambda: self.notifications,
            check_window=lambda release_id, env, rollback: check_deployment_window(
                self.calendar, release_id=release_id, environment=env, rollback=rollback
            ),
        )

    @cached_property
    def ics_writer(self) -> IcsWriter:
        """RFC 5545 iCalendar output in the policy's time zone."""
        from relman.adapters.ics import IcsCalendarWriter

        return IcsCalendarWriter(self.settings.windows.timezone)

    @cached_property
    def incidents(self) -> Incidents:
        """Incidents and the emergency hotfix path (J-003 §13)."""
        from relman.policy_settings.calendar import resolve_incident_policy
        from relman.services.incidents import FlowTools, Incidents

        s = self.settings
        return Incidents(
            lifecycle=self.lifecycle,
            incident_policy=resolve_incident_policy(s.severities, s.emergency),
            open_notifications=lambda: self.notifications,
            open_flow=lambda: FlowTools(
                self.git_flow, self.git, self.flow_policy, self.flow_records
            ),
        )

    @cached_property
    def retrospectives(self) -> Retros:
        """Release retrospectives from the §14.4 template (J-003 §2.3, §14.4)."""
        from relman.adapters.templates import JinjaNotesRenderer
        from relman.policy_settings.calendar import resolve_incident_policy
        from relman.services.retrospectives import Retros

        s = self.settings
        folder = s.notes.template_dir
        return Retros(
            uow_factory=self.uow_factory,
            policy=self.release_policy,
            incident_policy=resolve_incident_policy(s.severities, s.emergency),
            clock=self.clock,
            renderer=JinjaNotesRenderer(
                self.repo_path / folder if folder else None,
                package_folder="templates/retro",
                what="retrospective template",
                context_doc="docs/incidents.md",
            ),
            files=self.files,
            timezone=s.windows.timezone,
            product=s.project.name,
            production=self.deployments.path.production,
        )

    @cached_property
    def notifiers(self) -> Mapping[str, Notifier]:
        """``[notifications.channels]`` as notifiers (secrets are read when sending)."""
        injected = self.overrides.get("notifiers")
        if injected is not None:
            return injected  # type: ignore[return-value]
        import os

        from relman.adapters.notifiers import build_notifiers

        channels = self.settings.notifications.channels
        return build_notifiers(channels, base_dir=self.repo_path, environ=os.environ)

    @cached_property
    def notifications(self) -> Notifications:
        """Queueing, delivery and reports of stakeholder notifications (J-003 §11)."""
        from relman.adapters.templates import NOTIFICATIONS_FOLDER, JinjaNotesRenderer
        from relman.policy_settings.notifications import resolve_notification_policy
        from relman.services.notifications import Notifications

        s, cfg = self.settings, self.settings.notifications
        target = s.objectives.get("notification_compliance")
        renderer = JinjaNotesRenderer(
            self.repo_path / cfg.template_dir if cfg.template_dir else None,
            package_folder=NOTIFICATIONS_FOLDER,
            setting="notifications.template_dir",
            what="notification template",
            context_doc="docs/notifications.md",
        )
        return Notifications(
            uow_factory=self.uow_factory,
            policy=resolve_notification_policy(
                cfg,
                s.communication,
                timezone=s.windows.timezone,
                compliance_target=target.target if target is not None else 100.0,
                emergency=s.emergency,
            ),
            people=list(self.release_policy.people.values()),
            renderer=renderer,
            clock=self.clock,
            open_notifiers=lambda: self.notifiers,
            context={
                "project": {
                    "name": s.project.name,
                    "support_contact": s.project.support_contact,
                    "support_url": s.project.support_url,
                },
                "links": {
                    "status": cfg.status_url,
                    "release_notes": cfg.release_notes_url,
                    "issues": cfg.issues_channel or s.project.support_url,
                },
                "emergency_contact": cfg.emergency_contact,
            },
            downtime={name: t.downtime for name, t in s.release_types.items()},
        )


def build_services(
    *, repo: Path, config: Path | None = None, settings: Settings | None = None, **overrides: object
) -> Services:
    """Read the policy for ``repo`` and wire the services (adapters may be overridden). The core
    sections are validated now, the whole policy when a service first needs it."""
    repo = repo.resolve()
    if settings is not None:
        return Services(
            core=settings, repo_path=repo, overrides=dict(overrides), policy_file=config
        )
    source = read_policy(repo, config_file=config)
    core = validate_core(source)
    if core is None:  # an unknown section or a bad core value: the whole policy names it
        from relman.settings import validate_source

        core = validate_source(source)
    return Services(
        core=core,
        repo_path=repo,
        overrides=dict(overrides),
        policy_file=source.path,
        source=source,
    )


def build_demo(
    *, root: Path, fresh: bool = False, keep: bool = False
) -> tuple[DemoKit, DemoOptions]:
    """Wire ``relman demo`` (relman.services.demo): its clock, mail and webhook sinks, host,
    test tool chain and builder; the stages get real services from `build_services`."""
    import os
    import secrets

    from relman.adapters.demo.builds import DemoBuilder
    from relman.adapters.demo.clock import DemoClock
    from relman.adapters.demo.host import LocalDemoHost, stop_processes
    from relman.adapters.demo.postgres import DEFAULT_ADMIN_URL, PgDemoDatabases
    from relman.adapters.demo.sinks import SmtpSink, WebhookSink
    from relman.adapters.demo.toolchain import DemoToolchain
    from relman.adapters.demo.traffic import TrafficGenerator
    from relman.adapters.processes import find_free_port
    from relman.services.demo import DemoKit, DemoOptions
    from relman.services.demo_policy import WEBHOOK_SECRET_ENV
    from relman.services.demo_story import STORY_START

    root = root.resolve()
    clock = DemoClock(STORY_START)
    mail, hooks = SmtpSink(root / "mail"), WebhookSink(root / "mail")
    os.environ.setdefault(WEBHOOK_SECRET_ENV, secrets.token_hex(16))  # the sinks' secret
    # RELMAN_DEMO_POSTGRES: the server's maintenance database URL; RELMAN_DEMO_NGINX: an nginx
    # executable, or "none" to run as on a machine without nginx (docs/demo.md).
    nginx = os.environ.get("RELMAN_DEMO_NGINX", "auto")
    host = LocalDemoHost(
        databases=PgDemoDatabases(os.environ.get("RELMAN_DEMO_POSTGRES", DEFAULT_ADMIN_URL)),
        nginx=None if nginx.strip().lower() == "none" else nginx,
    )
    kit = DemoKit(
        host=host,
        clock=clock,
        mail=mail,
        webhooks=hooks,
        toolchain=DemoToolchain(),
        builder=DemoBuilder(),
        open_services=lambda repo: build_services(repo=repo, clock=clock),
        free_port=find_free_port,
        stop_processes=stop_processes,
        read_mail=mail.list_mail,
        read_posts=hooks.list_posts,
        open_traffic=TrafficGenerator,
    )
    prefix = os.environ.get("RELMAN_DEMO_DB_PREFIX", "relman_demo")  # tests keep their own
    return kit, DemoOptions(root=root, fresh=fresh, keep=keep, db_prefix=prefix)
