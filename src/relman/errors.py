"""One exception tree for relman.

Every error a user can meet is a ``RelmanError``. Each class carries the exit code the CLI
returns, the HTTP status the API answers with, and a stable string ``code`` for machines.
The CLI and the API map errors to output in exactly one place each.

    RelmanError                       exit 70  (internal: a bug in relman)
    ├── CheckFailedError              exit 1   lint violations, failed checks
    ├── ConfigError                   exit 3   relman.toml / environment invalid
    ├── InvalidInputError             exit 4   a value or file that is not what it claims
    │   ├── InvalidVersionError
    │   └── InvalidCommitError
    ├── NotFoundError                 exit 5   unknown ref, release, person, environment
    ├── ConflictError                 exit 6   already exists, dirty tree, concurrent update
    ├── BlockedError                  exit 7   gate, window, approval or permission says no
    ├── GitError                      exit 8   not a repository, git failed, shallow clone
    ├── NothingToReleaseError         exit 9   no releasable change since the last release
    ├── DeploymentFailedError         exit 10  the deployment failed and was rolled back
    ├── RollbackFailedError           exit 11  rollback failed: a human is needed
    └── IntegrationError              exit 12  an outside system (SMTP, HTTP, DB) failed
        ├── BackupFailedError                  pg_dump / pg_restore failed or did not verify
        └── MigrationFailedError               a database migration command failed

Exit code 2 is reserved for command-line usage errors (reported by the CLI parser).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class RelmanError(Exception):
    """Base of every relman error."""

    exit_code: ClassVar[int] = 70
    http_status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        if self.where:
            return f"{self.message} ({self.where})"
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``--json`` output and the API."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.where:
            out["where"] = self.where
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = self.details
        return out


class CheckFailedError(RelmanError):
    """A check ran and found violations (lint, policy lint, flow check)."""

    exit_code = 1
    http_status = 422
    code = "check_failed"

    def __init__(self, message: str, *, violations: list[str] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.violations = list(violations or [])


class ConfigError(RelmanError):
    exit_code = 3
    http_status = 500
    code = "config_error"


class InvalidInputError(RelmanError):
    exit_code = 4
    http_status = 422
    code = "invalid_input"


class InvalidVersionError(InvalidInputError):
    code = "invalid_version"


class InvalidCommitError(InvalidInputError):
    code = "invalid_commit"


class NotFoundError(RelmanError):
    exit_code = 5
    http_status = 404
    code = "not_found"


class ConflictError(RelmanError):
    exit_code = 6
    http_status = 409
    code = "conflict"


class BlockedError(RelmanError):
    exit_code = 7
    http_status = 403
    code = "blocked"


class GitError(RelmanError):
    exit_code = 8
    http_status = 500
    code = "git_error"


class NothingToReleaseError(RelmanError):
    exit_code = 9
    http_status = 409
    code = "nothing_to_release"


class DeploymentFailedError(RelmanError):
    exit_code = 10
    http_status = 500
    code = "deployment_failed"


class RollbackFailedError(RelmanError):
    exit_code = 11
    http_status = 500
    code = "rollback_failed"


class IntegrationError(RelmanError):
    exit_code = 12
    http_status = 502
    code = "integration_error"


class BackupFailedError(IntegrationError):
    """A backup could not be taken, verified or restored; ``details`` carry the tool's argv and
    the tail of its stderr."""

    code = "backup_failed"


class MigrationFailedError(IntegrationError):
    """A migration command failed or timed out; ``details`` carry the argv and output tail."""

    code = "migration_failed"


EXIT_OK = 0
EXIT_USAGE = 2
