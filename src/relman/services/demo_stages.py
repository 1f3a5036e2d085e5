"""The stages of ``relman demo``, in story order (see `relman.services.demo`)."""

from __future__ import annotations

from relman.services import demo_deploy as deploy
from relman.services import demo_hotfix as hotfix
from relman.services import demo_incident as incident
from relman.services import demo_release as rel
from relman.services import demo_report as report
from relman.services.demo import Stage


def list_stages() -> list[Stage]:
    return [
        Stage("workspace", "Workspace: repository, databases, policy, people, mail sink",
              rel.stage_workspace, fatal=True),
        Stage("plan", "Plan a minor release (lead-time check)", rel.stage_plan, ("workspace",)),
        Stage("release-start", "Git Flow: relman flow release start", rel.stage_release_start,
              ("plan",)),
        Stage("build", "Gates G1-G2 with a real pytest + coverage run", rel.stage_build_gates,
              ("release-start",)),
        Stage("dev", "Deploy to Dev", deploy.stage_dev, ("build",)),
        Stage("qa", "Promote to QA in its window; G3 QA, G4 UAT", deploy.stage_qa, ("dev",)),
        Stage("staging", "Promote to Staging in its window; smoke tests, G5, G6",
              deploy.stage_staging, ("qa",)),
        Stage("release-finish", "Git Flow: relman flow release finish (notes, tag)",
              deploy.stage_release_finish, ("staging",)),
        Stage("prod", "Blue-green to Prod in its window, pre-migration backup, observation",
              deploy.stage_prod, ("release-finish",)),
        Stage("verify", "G7 post-release verification, release closed", deploy.stage_verify,
              ("prod",)),
        Stage("patch", "Patch 1.2.1 through G1-G6, Dev, QA and Staging", incident.stage_patch,
              ("prod",)),
        Stage("canary", "Canary of 1.2.1 in Prod under traffic: rolled back automatically",
              incident.stage_canary, ("patch",)),
        Stage("incident", "P1 incident and a hotfix with post-hoc approval",
              hotfix.stage_incident, ("prod",)),
        Stage("notes", "Release notes", report.stage_notes, ("workspace",), always=True),
        Stage("notifications", "Notifications received by the SMTP sink",
              report.stage_notifications, ("workspace",), always=True),
        Stage("env-status", "relman env status", report.stage_env_status, ("workspace",),
              always=True),
        Stage("audit", "relman audit verify", report.stage_audit, ("workspace",), always=True),
        Stage("paths", "Where everything was written", report.stage_paths, ("workspace",),
              always=True),
    ]  # fmt: skip
