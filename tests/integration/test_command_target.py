"""The ``command`` target with real shell commands: placeholders, output tails, failures,
timeouts that kill the whole process group, and configuration errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from relman.adapters import processes as procs
from relman.adapters.targets.command import CommandStep, CommandTarget
from relman.errors import ConfigError, IntegrationError


def _target(tmp_path: Path, **steps: CommandStep | list[str]) -> CommandTarget:
    return CommandTarget("staging", steps, cwd=tmp_path)


def test_steps_run_with_placeholders_and_environment(tmp_path: Path) -> None:
    target = _target(
        tmp_path,
        deploy=["sh", "-c", 'echo "deploy {version} to {env}" > deployed.txt; echo done'],
        switch=["sh", "-c", 'echo "$RELMAN_VERSION:{port}:$RELMAN_PORT" > switched.txt'],
        rollback=["sh", "-c", 'echo "back to {previous} from $RELMAN_VERSION" > rolled.txt'],
    )

    result = target.run_step("deploy", version="1.2.0")
    target.run_step("switch", version="1.2.0", port=8002)
    target.run_step("rollback", version="1.2.0", previous="1.1.0")

    assert (tmp_path / "deployed.txt").read_text() == "deploy 1.2.0 to staging\n"
    assert (tmp_path / "switched.txt").read_text() == "1.2.0:8002:8002\n"
    assert (tmp_path / "rolled.txt").read_text() == "back to 1.1.0 from 1.2.0\n"
    assert result.returncode == 0
    assert result.output_tail == "done"
    assert result.argv[0] == "sh"
    assert target.has_step("deploy") and not target.has_step("backup")


def test_a_failing_step_raises_with_the_output_tail(tmp_path: Path) -> None:
    script = (
        "for i in $(seq 1 100); do echo line $i; done; echo 'fatal: chart not found' >&2; exit 3"
    )
    target = _target(tmp_path, migrate=["sh", "-c", script])

    with pytest.raises(IntegrationError) as info:
        target.run_step("migrate", version="1.2.0")

    err = info.value
    assert "step migrate of staging failed with exit code 3: fatal: chart not found" in err.message
    assert err.where == "deployments.environments.staging.target.steps.migrate"
    tail = err.details["output_tail"].splitlines()
    assert len(tail) == 40
    assert tail[-1] == "fatal: chart not found"
    assert tail[0] == "line 62"


def test_a_step_that_times_out_is_killed_with_its_children(tmp_path: Path) -> None:
    script = "sleep 30 & echo $! > child.pid; echo waiting; wait"
    target = _target(tmp_path, health=CommandStep(("sh", "-c", script), timeout=0.5))

    started = time.monotonic()
    with pytest.raises(IntegrationError, match=r"timed out after 0\.5s: waiting"):
        target.run_step("health", version="1.2.0")

    assert time.monotonic() - started < 20
    child = int((tmp_path / "child.pid").read_text())
    assert procs.wait_gone(child, 5)


def test_an_unknown_program_is_a_configuration_error(tmp_path: Path) -> None:
    target = _target(tmp_path, backup=["relman-no-such-program", "{version}"])
    with pytest.raises(ConfigError, match="cannot run 'relman-no-such-program'"):
        target.run_step("backup", version="1.0.0")


def test_missing_step_and_missing_values_are_named(tmp_path: Path) -> None:
    target = _target(tmp_path, switch=["echo", "{port}"])
    with pytest.raises(ConfigError, match="step 'deploy' is not configured for staging"):
        target.run_step("deploy", version="1.0.0")
    with pytest.raises(ConfigError, match=r"\{port\} has no value"):
        target.run_step("switch", version="1.0.0")


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"deploy": ["helm", "{release}"]}, r"unknown placeholder \{release\}"),
        ({"deploy": []}, "empty command"),
        ({"launch": ["true"]}, "unknown step 'launch'"),
        ({"deploy": CommandStep(("true",), timeout=0)}, "timeout > 0"),
        ({"deploy": ["echo", "{version"]}, "deploy"),
    ],
)
def test_bad_configuration_is_refused_up_front(
    tmp_path: Path, steps: dict[str, CommandStep | list[str]], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        CommandTarget("staging", steps, cwd=tmp_path)


def _doc_configs() -> list[tuple[str, dict[str, dict[str, object]]]]:
    import re
    import tomllib

    doc = (Path(__file__).resolve().parents[2] / "docs" / "targets.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    out = []
    for block in blocks:
        for env, table in tomllib.loads(block)["deployments"]["environments"].items():
            out.append((env, table["target"]["steps"]))
    return out


def test_the_documented_configurations_build_valid_targets() -> None:
    configs = _doc_configs()
    assert [env for env, _ in configs] == ["staging", "prod"]
    for env, steps in configs:
        target = CommandTarget(
            env,
            {
                name: CommandStep(tuple(spec["argv"]), float(spec["timeout"]))  # type: ignore[arg-type]
                for name, spec in steps.items()
            },
        )
        assert target.has_step("deploy") and target.has_step("rollback")
    staging = dict(configs[0][1])
    argv = [str(a) for a in staging["switch"]["argv"]]  # type: ignore[union-attr]
    assert argv[-1].format(version="1.2.0") == '{"spec": {"selector": {"version": "1.2.0"}}}'
