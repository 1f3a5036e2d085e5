"""The demo's workspace: a folder with everything ``relman demo`` runs the J-003 plan on.

``<root>/`` (default ``./relman-demo/``) holds:

    .relman-demo.json    the marker: this folder belongs to relman demo (replaced by --fresh)
    repo/                the Smart Dairy repository (history: `relman.services.demo_story`),
                         its relman.toml (the J-003 policy + demo people, targets, channels)
                         and relman's state store in repo/.relman/ (SQLite)
    evidence/            JUnit, Cobertura and SARIF files of the real test runs
    artifacts/           the release builds of the sample app
    targets/             local targets and nginx prefixes per environment
    mail/                every email the SMTP sink received (NNNN.eml, index.jsonl),
                         webhook posts (webhooks.jsonl)
    status/, in-app/     the status-page and in-app feeds
    summary.json         the demo's machine-readable summary

A folder that exists and is neither empty nor marked as a demo workspace is refused; a previous
demo workspace is replaced only with ``--fresh`` (its processes stopped, its databases dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from relman.errors import ConflictError
from relman.services.demo_story import (
    Author,
    HistoryWriter,
    StoryResult,
    StorySources,
    write_history,
)

MARKER = ".relman-demo.json"
ENVIRONMENTS = ("dev", "qa", "staging", "prod")
MAIL_DOMAIN = "smartdairy.test"  # RFC 2606: never a real mailbox
DB_PREFIX = "relman_demo"

FolderState = Literal["missing", "empty", "demo", "other"]


@dataclass(frozen=True)
class DemoPerson:
    id: str
    name: str
    roles: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.id}@{MAIL_DOMAIN}"


# Every J-003 role that plans, signs, approves, commands an incident or is told (§2, §3.3, §11.1,
# §13.1). Two release managers: the one who plans a release cannot sign its G6.
DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("meher", "Meher Hossain", ("release_manager",)),
    DemoPerson("rana", "Rana Ahmed", ("release_manager",)),
    DemoPerson("parvin", "Parvin Akter", ("project_manager",)),
    DemoPerson("tanvir", "Tanvir Islam", ("tech_lead",)),
    DemoPerson("qamrul", "Qamrul Hasan", ("qa_lead",)),
    DemoPerson("popy", "Popy Rahman", ("product_owner",)),
    DemoPerson("dipu", "Dipu Sarker", ("devops_lead",)),
    DemoPerson("sara", "Sara Karim", ("sre_lead",)),
    DemoPerson("farhana", "Farhana Kabir", ("cto",)),
    DemoPerson("imran", "Imran Chowdhury", ("incident_commander",)),
    DemoPerson("sohel", "Sohel Mahmud", ("security_lead", "developer")),
    DemoPerson("arif", "Arif Chowdhury", ("developer",)),
    DemoPerson("nusrat", "Nusrat Jahan", ("developer",)),
    DemoPerson("lamia", "Lamia Sultana", ("support_team",)),
    DemoPerson("kamal", "Kamal Uddin", ("business_users",)),
)


@dataclass(frozen=True)
class Skipped:
    """A part of the demo that could not run here, and why."""

    feature: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"feature": self.feature, "reason": self.reason}


class DemoDatabases(Protocol):
    """The demo's PostgreSQL databases (``relman.adapters.demo.postgres``)."""

    def probe(self) -> str | None: ...

    def recreate(self, name: str) -> str: ...

    def drop(self, name: str) -> None: ...


class DemoHost(Protocol):
    """The machine the workspace lives on (``relman.adapters.demo.host.LocalDemoHost``)."""

    @property
    def sources(self) -> StorySources: ...

    @property
    def databases(self) -> DemoDatabases: ...

    def inspect_folder(self, root: Path) -> FolderState: ...

    def clear_previous(self, root: Path) -> list[str]:
        """Stop what a previous demo left running in ``root`` and delete the folder; say what
        was stopped."""
        ...

    def write_text(self, path: Path, text: str) -> None: ...

    def history_writer(self, repo: Path) -> HistoryWriter: ...

    def find_nginx(self) -> str | None: ...


@dataclass(frozen=True)
class Workspace:
    """Where everything of one demo run lives."""

    root: Path
    databases: Mapping[str, str] = field(default_factory=dict)  # env (and "ci") -> URL
    nginx: str | None = None
    skipped: tuple[Skipped, ...] = ()
    history: StoryResult | None = None
    replaced: tuple[str, ...] = ()  # what --fresh stopped of a previous run

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def targets(self) -> Path:
        return self.root / "targets"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def policy_file(self) -> Path:
        return self.repo / "relman.toml"

    @property
    def summary_file(self) -> Path:
        return self.root / "summary.json"

    def paths(self) -> dict[str, str]:
        return {
            "workspace": str(self.root),
            "repository": str(self.repo),
            "policy": str(self.policy_file),
            "store": str(self.repo / ".relman" / "relman.db"),
            "evidence": str(self.evidence),
            "artifacts": str(self.artifacts),
            "targets": str(self.targets),
            "mail": str(self.mail),
            "release_notes": str(self.repo / "docs" / "releases"),
            "summary": str(self.summary_file),
        }


def list_authors(people: Sequence[DemoPerson] = DEMO_PEOPLE) -> dict[str, Author]:
    return {p.id: Author(p.name, p.email) for p in people}


def prepare_folder(*, host: DemoHost, root: Path, fresh: bool, now: datetime) -> tuple[str, ...]:
    """Make ``root`` an empty, marked demo workspace; refuse anything else (nothing touched)."""
    state = host.inspect_folder(root)
    replaced: list[str] = []
    if state == "other":
        raise ConflictError(
            "the folder exists and is not a relman demo workspace: refusing to touch it",
            where=str(root),
            hint="pass --workspace with a new or empty folder",
        )
    if state == "demo":
        if not fresh:
            raise ConflictError(
                "the folder holds a previous relman demo run",
                where=str(root),
                hint="pass --fresh to replace it (its processes are stopped, its databases "
                "dropped), or --workspace with another folder",
            )
        replaced = host.clear_previous(root)
    marker = {"created_by": "relman demo", "created_at": now.isoformat()}
    host.write_text(root / MARKER, json.dumps(marker, indent=2) + "\n")
    return tuple(replaced)


def create_databases(
    databases: DemoDatabases,
    environments: Sequence[str] = (*ENVIRONMENTS, "ci"),
    *,
    prefix: str = DB_PREFIX,
) -> tuple[dict[str, str], Skipped | None]:
    """``<prefix>_<env>`` (``relman_demo_dev`` ...) for each environment and ``ci`` (the test
    run) when PostgreSQL answers; otherwise none, and why."""
    problem = databases.probe()
    if problem is not None:
        return {}, Skipped(
            "postgresql",
            f"{problem}; the application keeps its data in memory, and the pre-migration "
            "backup and database migrations are skipped",
        )
    return {env: databases.recreate(f"{prefix}_{env}") for env in environments}, None


def create_workspace(
    *, host: DemoHost, root: Path, fresh: bool, now: datetime, db_prefix: str = DB_PREFIX
) -> Workspace:
    """Prepare the folder, write the repository's history, create the databases, find nginx.

    The policy file is written afterwards (`relman.services.demo_policy`): it names the ports
    of the mail sinks the caller starts.
    """
    root = root.resolve()
    replaced = prepare_folder(host=host, root=root, fresh=fresh, now=now)
    workspace = Workspace(root=root, replaced=replaced)
    history = write_history(host.history_writer(workspace.repo), host.sources, list_authors())
    databases, pg_skipped = create_databases(host.databases, prefix=db_prefix)
    nginx = host.find_nginx()
    skipped = [] if pg_skipped is None else [pg_skipped]
    if nginx is None:
        skipped.append(
            Skipped(
                "nginx",
                "nginx is not installed: traffic moves by restarting the instance in place "
                "(not zero-downtime) and the canary stage, which needs weighted routes, is "
                "skipped",
            )
        )
    return Workspace(
        root=root,
        databases=databases,
        nginx=nginx,
        skipped=tuple(skipped),
        history=history,
        replaced=replaced,
    )
