# ruff: noqa: F811  (pytest fixtures are imported from app_support and requested by name)
"""The ``local`` target with real processes: verified installs, detached instances that
survive relman, rediscovery, dead-instance detection, bounded health waits and pruning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from app_support import (  # noqa: F401  (fixtures)
    ArtifactFactory,
    artifacts,
    local_target,
    targets_root,
)

from relman.adapters import processes as procs
from relman.adapters.targets.local import LocalTarget
from relman.errors import (
    ConfigError,
    ConflictError,
    IntegrationError,
    InvalidInputError,
    NotFoundError,
)


def _install(
    target: LocalTarget, artifacts: ArtifactFactory, version: str, fault: str | None = None
) -> None:
    art = artifacts.build(version, fault)
    target.install(version, art.path, art.digest)


def _version_at(addr: str) -> str:
    return str(httpx.get(f"http://{addr}/health", timeout=5).json()["version"])


def test_install_verifies_the_digest_and_writes_nothing_on_mismatch(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    art = artifacts.build("1.0.0")
    with pytest.raises(InvalidInputError, match="digest mismatch"):
        local_target.install("1.0.0", art.path, "0" * 64)
    assert not local_target.releases_dir.exists() or not any(local_target.releases_dir.iterdir())

    release = local_target.install("1.0.0", art.path, f"sha256:{art.digest}")
    assert Path(release.path) == local_target.releases_dir / "1.0.0"
    assert (Path(release.path) / "VERSION").read_text() == "1.0.0\n"
    assert local_target.install("1.0.0", art.path, art.digest) == release  # idempotent


def test_a_version_is_immutable_and_must_match_the_artifact(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    other = artifacts.build("1.0.0", "errors=0.1")
    with pytest.raises(ConflictError, match="immutable"):
        local_target.install("1.0.0", other.path, other.digest)
    art = artifacts.build("1.1.0")
    with pytest.raises(InvalidInputError, match=r"artifact is version 1\.1\.0, not 9\.9\.9"):
        local_target.install("9.9.9", art.path, art.digest)
    with pytest.raises(NotFoundError):
        local_target.install("1.2.0", "/nonexistent.tar.gz", art.digest)
    assert [r.version for r in local_target.list_installed()] == ["1.0.0"]
    assert [p.name for p in local_target.releases_dir.iterdir()] == ["1.0.0"]


def test_two_versions_run_side_by_side_and_a_new_target_object_finds_them(
    local_target: LocalTarget, artifacts: ArtifactFactory, targets_root: Path
) -> None:
    _install(local_target, artifacts, "1.0.0")
    _install(local_target, artifacts, "1.1.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    green = local_target.start_instance("1.1.0", slot="green")
    assert blue.port != green.port
    assert (_version_at(blue.addr), _version_at(green.addr)) == ("1.0.0", "1.1.0")
    assert Path(blue.log_path).parent == local_target.releases_dir / "1.0.0" / "logs"

    del local_target  # relman "exits": nothing of the old object is used again
    again = LocalTarget(targets_root, "qa")

    found = {i.slot: i for i in again.list_instances()}
    assert set(found) == {"blue", "green"}
    assert all(i.alive for i in found.values())
    assert (found["blue"].pid, found["green"].pid) == (blue.pid, green.pid)
    assert again.stop_instance("blue") is True
    assert not procs.is_running(blue.pid)
    assert [i.slot for i in again.list_instances()] == ["green"]


def test_instances_survive_the_relman_process_exiting(
    artifacts: ArtifactFactory, targets_root: Path
) -> None:
    art = artifacts.build("1.1.0")
    script = textwrap.dedent(
        f"""
        from relman.adapters.targets.local import LocalTarget
        t = LocalTarget({str(targets_root)!r}, "staging", base_env={{"SMART_DAIRY_NO_DB": "1"}})
        t.install("1.1.0", {art.path!r}, {art.digest!r})
        print(t.start_instance("1.1.0", slot="blue").pid)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout.strip())

    target = LocalTarget(targets_root, "staging")
    [instance] = target.list_instances()
    assert (instance.pid, instance.alive) == (pid, True)
    assert _version_at(instance.addr) == "1.1.0"


def test_a_killed_instance_is_detected_and_its_slot_can_be_reused(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    first = local_target.start_instance("1.0.0", slot="blue")
    os.kill(first.pid, signal.SIGKILL)
    procs.wait_gone(first.pid, 5)

    [dead] = local_target.list_instances()
    assert (dead.slot, dead.pid, dead.alive) == ("blue", first.pid, False)
    again = local_target.start_instance("1.0.0", slot="blue", port=first.port)
    assert again.alive and again.pid != first.pid
    assert _version_at(again.addr) == "1.0.0"


def test_a_slot_runs_one_instance_and_a_port_one_owner(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    with pytest.raises(ConflictError, match="slot blue"):
        local_target.start_instance("1.0.0", slot="blue")
    with pytest.raises(ConflictError, match=f"port {blue.port}"):
        local_target.start_instance("1.0.0", slot="green", port=blue.port)
    with pytest.raises(NotFoundError, match="not installed"):
        local_target.start_instance("7.0.0", slot="green")
    with pytest.raises(InvalidInputError):
        local_target.start_instance("1.0.0", slot="../evil")
    assert [i.slot for i in local_target.list_instances()] == ["blue"]


def test_crash_on_start_fails_fast_with_the_log_tail(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.1.0", "crash-on-start")
    with pytest.raises(
        IntegrationError, match="exited \\(code 1\\) before becoming healthy"
    ) as info:
        local_target.start_instance("1.1.0", slot="green")
    assert "fault crash-on-start" in info.value.details["log_tail"]
    assert local_target.list_instances() == []


def test_never_healthy_is_stopped_after_the_bounded_wait(
    targets_root: Path, artifacts: ArtifactFactory
) -> None:
    target = LocalTarget(targets_root, "qa", base_env={"SMART_DAIRY_NO_DB": "1"}, start_timeout=1.5)
    _install(target, artifacts, "1.1.0", "never-healthy")
    with pytest.raises(IntegrationError, match=r"not healthy after 1\.5s") as info:
        target.start_instance("1.1.0", slot="green")
    assert "503" in info.value.message
    assert target.list_instances() == []
    pid_line = [line for line in info.value.details["log_tail"].splitlines() if "pid=" in line]
    pid = int(pid_line[0].rsplit("pid=", 1)[1].rstrip(")"))
    assert not procs.is_running(pid)


def test_stop_kills_an_instance_that_ignores_sigterm(
    targets_root: Path, artifacts: ArtifactFactory
) -> None:
    stubborn = (
        "import signal, sys, http.server; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), "
        "http.server.SimpleHTTPRequestHandler).serve_forever()"
    )
    target = LocalTarget(
        targets_root,
        "dev",
        command=("{python}", "-c", stubborn, "{port}"),
        health_path="/VERSION",
        stop_timeout=0.5,
    )
    _install(target, artifacts, "1.0.0")
    instance = target.start_instance("1.0.0", slot="x")
    assert target.stop_instance("x") is True
    assert not procs.is_running(instance.pid)
    assert target.stop_instance("x") is False


def test_restart_in_place_keeps_the_port(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    _install(local_target, artifacts, "1.1.0")
    old = local_target.start_instance("1.0.0", slot="live")
    new = local_target.restart_in_place("1.1.0", slot="live")
    assert new.port == old.port
    assert not procs.is_running(old.pid)
    assert _version_at(new.addr) == "1.1.0"


def test_keep_n_prunes_old_versions_but_never_a_running_one(
    targets_root: Path, artifacts: ArtifactFactory
) -> None:
    target = LocalTarget(targets_root, "prod", base_env={"SMART_DAIRY_NO_DB": "1"}, keep=2)
    _install(target, artifacts, "1.0.0")
    target.start_instance("1.0.0", slot="blue")
    for version in ("1.1.0", "1.2.0", "1.2.1"):
        _install(target, artifacts, version)

    assert [r.version for r in target.list_installed()] == ["1.0.0", "1.2.0", "1.2.1"]
    with pytest.raises(ConflictError, match="running"):
        target.remove("1.0.0")
    target.stop_instance("blue")
    target.remove("1.0.0")
    assert [r.version for r in target.list_installed()] == ["1.2.0", "1.2.1"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"command": ()}, "empty"),
        ({"command": ("{python}", "{nope}")}, "unknown placeholder {nope}"),
        ({"keep": 0}, "keep"),
    ],
)
def test_bad_configuration_is_refused(
    targets_root: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        LocalTarget(targets_root, "qa", **kwargs)  # type: ignore[arg-type]
