# ruff: noqa: F811  (pytest fixtures are imported from app_support and requested by name)
"""Traffic through a real, relman-owned nginx: blue/green under load, canary weights,
maintenance, refused configurations and rediscovery after relman restarts."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import httpx
import pytest
from app_support import (  # noqa: F401  (fixtures)
    ArtifactFactory,
    BackgroundLoad,
    artifacts,
    local_target,
    nginx_switch,
    targets_root,
)

from relman.adapters import processes as procs
from relman.adapters.switches.direct import DirectSwitch
from relman.adapters.switches.nginx import NginxSwitch
from relman.adapters.targets.local import LocalTarget
from relman.errors import ConfigError, IntegrationError, InvalidInputError
from relman.ports import Route


def _install(target: LocalTarget, artifacts: ArtifactFactory, *versions: str) -> None:
    for version in versions:
        art = artifacts.build(version)
        target.install(version, art.path, art.digest)


def _versions(url: str, n: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(n):
        resp = httpx.get(url, timeout=5)
        assert resp.status_code == 200, resp.text
        seen[resp.headers["x-app-version"]] += 1
    return seen


def test_blue_green_switch_under_load_loses_no_request(
    local_target: LocalTarget, nginx_switch: NginxSwitch, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0", "1.1.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    nginx_switch.apply([Route(blue.addr, 100, "1.0.0")])
    url = f"{nginx_switch.public_url}/inventory?product=milk"
    assert _versions(url, 5) == {"1.0.0": 5}
    green = local_target.start_instance("1.1.0", slot="green")
    old_workers = set(nginx_switch.list_workers())

    load = BackgroundLoad(url, total=2000, workers=8).start()
    load.wait_sent(500)
    nginx_switch.apply([Route(green.addr, 100, "1.1.0")])
    assert local_target.stop_instance("blue") is True
    result = load.finish()

    assert result.failures == []
    assert result.sent == 2000
    assert result.versions["1.0.0"] > 0
    assert result.versions["1.1.0"] > 0
    assert _versions(url, 5) == {"1.1.0": 5}
    new_workers = set(nginx_switch.list_workers())
    assert new_workers and new_workers.isdisjoint(old_workers)  # the old generation drained
    assert not procs.is_running(blue.pid)


def test_canary_weights_split_traffic(
    local_target: LocalTarget, nginx_switch: NginxSwitch, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0", "1.1.0")
    stable = local_target.start_instance("1.0.0", slot="stable")
    canary = local_target.start_instance("1.1.0", slot="canary")
    nginx_switch.apply([Route(stable.addr, 75, "1.0.0"), Route(canary.addr, 25, "1.1.0")])

    seen = _versions(f"{nginx_switch.public_url}/health", 400)

    assert seen["1.0.0"] + seen["1.1.0"] == 400
    assert 0.15 <= seen["1.1.0"] / 400 <= 0.35
    assert [r.weight for r in nginx_switch.current()] == [75, 25]

    nginx_switch.apply([Route(stable.addr, 0, "1.0.0"), Route(canary.addr, 100, "1.1.0")])
    assert _versions(f"{nginx_switch.public_url}/health", 20) == {"1.1.0": 20}


def test_config_failing_nginx_t_is_refused_and_traffic_still_flows(
    local_target: LocalTarget, nginx_switch: NginxSwitch, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0", "1.1.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    green = local_target.start_instance("1.1.0", slot="green")
    nginx_switch.apply([Route(blue.addr, 100)])
    live_conf = nginx_switch.conf.read_bytes()
    generation = nginx_switch.generation()

    broken = NginxSwitch(
        nginx_switch.prefix,
        listen_port=nginx_switch.listen_port,
        environment="qa",
        server_snippet="bogus_directive on;",
    )
    with pytest.raises(ConfigError) as info:
        broken.apply([Route(green.addr, 100)])

    assert 'unknown directive "bogus_directive"' in info.value.message
    assert info.value.where is not None
    rejected, _, line = info.value.where.rpartition(":")
    assert Path(rejected).read_text().splitlines()[int(line) - 1].strip() == "bogus_directive on;"
    assert nginx_switch.conf.read_bytes() == live_conf
    assert nginx_switch.generation() == generation
    assert [r.addr for r in nginx_switch.current()] == [blue.addr]
    resp = httpx.get(f"{nginx_switch.public_url}/health", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["x-app-version"] == "1.0.0"
    assert resp.headers["x-relman-route"] == generation


@pytest.mark.parametrize(
    "route",
    [Route("127.0.0.1:0", 100), Route("127.0.0.1", 100), Route("a b:80", 100), Route("h:80", -1)],
)
def test_invalid_routes_are_refused_before_nginx(nginx_switch: NginxSwitch, route: Route) -> None:
    with pytest.raises(InvalidInputError):
        nginx_switch.apply([route])
    assert not nginx_switch.conf.exists()  # nothing was written, nothing was started


def test_maintenance_page_then_back_to_the_app(
    local_target: LocalTarget, nginx_switch: NginxSwitch, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    nginx_switch.apply([Route(blue.addr, 100)])

    nginx_switch.enable_maintenance(retry_after=120)
    resp = httpx.get(f"{nginx_switch.public_url}/dashboard", timeout=5)
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "120"
    assert "maintenance" in resp.text.lower()
    assert nginx_switch.in_maintenance() is True

    nginx_switch.disable_maintenance()
    resp = httpx.get(f"{nginx_switch.public_url}/dashboard", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["x-app-version"] == "1.0.0"


def test_a_new_switch_object_finds_the_running_nginx_and_its_routes(
    local_target: LocalTarget, nginx_switch: NginxSwitch, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    nginx_switch.apply([Route(blue.addr, 100, "1.0.0")])
    master = nginx_switch.master_pid()

    again = NginxSwitch(nginx_switch.prefix, listen_port=nginx_switch.listen_port)

    assert again.master_pid() == master
    assert again.current() == [Route(blue.addr, 100, "1.0.0")]
    again.ensure_running()  # already running: nothing restarts
    assert again.master_pid() == master


def test_no_route_yet_answers_503(nginx_switch: NginxSwitch) -> None:
    nginx_switch.ensure_running()
    resp = httpx.get(f"{nginx_switch.public_url}/", timeout=5)
    assert resp.status_code == 503
    assert "no route" in resp.text


def test_direct_switch_says_it_is_not_zero_downtime_and_restarts_in_place(
    local_target: LocalTarget, artifacts: ArtifactFactory, tmp_path: Path
) -> None:
    _install(local_target, artifacts, "1.0.0", "1.1.0")
    first = local_target.start_instance("1.0.0", slot="live")
    switch = DirectSwitch(tmp_path / "direct", public_port=first.port)
    assert switch.is_zero_downtime is False
    assert "NOT zero-downtime" in switch.notice
    with pytest.raises(ConfigError, match="canary"):
        switch.apply([Route(first.addr, 90), Route("127.0.0.1:1", 10)])

    second = local_target.restart_in_place("1.1.0", slot="live")
    switch.apply([Route(second.addr, 100, "1.1.0")])

    assert second.port == first.port
    assert not procs.is_running(first.pid)
    assert httpx.get(f"{switch.public_url}/health", timeout=5).json()["version"] == "1.1.0"
    assert DirectSwitch(tmp_path / "direct", public_port=first.port).current()[0].label == "1.1.0"


def test_a_reload_that_does_not_take_is_detected_and_the_old_config_restored(
    local_target: LocalTarget, nginx_switch: NginxSwitch, artifacts: ArtifactFactory
) -> None:
    _install(local_target, artifacts, "1.0.0")
    blue = local_target.start_instance("1.0.0", slot="blue")
    nginx_switch.apply([Route(blue.addr, 100)])
    live_conf = nginx_switch.conf.read_bytes()
    generation = nginx_switch.generation()
    with socket.socket() as busy:  # nginx -t passes, but the reload cannot bind this port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        moved = NginxSwitch(
            nginx_switch.prefix, listen_port=busy.getsockname()[1], reload_timeout=2
        )
        with pytest.raises(IntegrationError, match="did not load configuration"):
            moved.apply([Route(blue.addr, 100)])

    assert nginx_switch.conf.read_bytes() == live_conf
    assert nginx_switch.generation() == generation
    resp = httpx.get(f"{nginx_switch.public_url}/health", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["x-relman-route"] == generation
