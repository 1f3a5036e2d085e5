"""Rendering of the relman-owned nginx configuration (pure: no nginx is run here)."""

from __future__ import annotations

import re

import pytest

from relman.adapters.switches.nginx_config import (
    NginxConfig,
    parse_nginx_error,
    render_maintenance_page,
    render_nginx_config,
    validate_routes,
)
from relman.errors import InvalidInputError
from relman.ports import Route


def _render(**kw: object) -> str:
    base: dict[str, object] = {
        "prefix": "/srv/relman/nginx/prod",
        "listen_host": "127.0.0.1",
        "listen_port": 8080,
        "generation": "7-abcd1234",
        "environment": "prod",
    }
    return render_nginx_config(NginxConfig(**{**base, **kw}))  # type: ignore[arg-type]


def _servers(text: str) -> list[str]:
    return re.findall(r"^\s*server (\S+ weight=\d+);", text, flags=re.M)


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        ((Route("127.0.0.1:8001", 100, "1.0.0"),), ["127.0.0.1:8001 weight=100"]),
        (
            (Route("127.0.0.1:8001", 95), Route("127.0.0.1:8002", 5)),
            ["127.0.0.1:8001 weight=95", "127.0.0.1:8002 weight=5"],
        ),
        (
            (Route("127.0.0.1:8001", 0), Route("127.0.0.1:8002", 100)),
            ["127.0.0.1:8002 weight=100"],
        ),
    ],
    ids=["blue-green", "canary", "weight-0-left-out"],
)
def test_upstream_servers_follow_the_routes(routes: tuple[Route, ...], expected: list[str]) -> None:
    text = _render(routes=routes)
    assert _servers(text) == expected
    assert "proxy_next_upstream error timeout http_502 http_503;" in text
    assert "keepalive 32;" in text
    assert 'proxy_set_header Connection "";' in text
    assert 'add_header X-Relman-Route "7-abcd1234" always;' in text
    assert "listen 127.0.0.1:8080;" in text


def test_maintenance_serves_a_503_page_with_retry_after_and_no_upstream() -> None:
    text = _render(routes=(Route("127.0.0.1:8001", 100),), maintenance=True, retry_after=600)
    assert _servers(text) == []
    assert "return 503;" in text
    assert "add_header Retry-After 600 always;" in text
    assert 'alias "/srv/relman/nginx/prod/html/maintenance.html";' in text


def test_no_route_answers_503_without_an_empty_upstream_block() -> None:
    text = _render(routes=())
    assert "upstream relman_app" not in text
    assert 'return 503 "no route' in text


def test_paths_stay_inside_the_prefix_and_are_quoted() -> None:
    text = _render(prefix='/tmp/my "odd" dir/')
    assert 'pid "/tmp/my \\"odd\\" dir/logs/nginx.pid";' in text
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f'{kind}_temp_path "/tmp/my \\"odd\\" dir/tmp/{kind}";' in text


@pytest.mark.parametrize(
    ("user", "expected"), [(None, False), ("root", True)], ids=["unprivileged", "root"]
)
def test_user_directive_only_when_running_as_root(user: str | None, expected: bool) -> None:
    assert ("user root;" in _render(user=user)) is expected


def test_route_labels_cannot_inject_configuration() -> None:
    text = _render(routes=(Route("127.0.0.1:8001", 100, "1.0.0;\n}\nevil on;"),))
    assert "evil on" not in text.replace("evil_on", "")
    assert "\nevil" not in text


def test_server_snippet_is_indented_into_the_server_block() -> None:
    text = _render(server_snippet="client_max_body_size 20m;\n")
    assert "        client_max_body_size 20m;" in text


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route("127.0.0.1", 100), "HOST:PORT"),
        (Route("127.0.0.1:0", 100), "1-65535"),
        (Route("127.0.0.1:70000", 100), "1-65535"),
        (Route("bad host:80", 100), "HOST:PORT"),
        (Route("h;evil:80", 100), "HOST:PORT"),
        (Route("127.0.0.1:8001", -1), "weight"),
        (Route("127.0.0.1:8001", 1001), "weight"),
    ],
)
def test_invalid_routes_name_the_route(route: Route, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        validate_routes([Route("127.0.0.1:9000", 1), route])
    assert info.value.where == "routes[1]"


def test_a_route_listed_twice_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="twice"):
        validate_routes([Route("127.0.0.1:9000", 50), Route("127.0.0.1:9000", 50)])


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            'nginx: [emerg] unknown directive "bogus" in /p/nginx.conf.candidate:42\n'
            "nginx: configuration file /p/nginx.conf.candidate test failed\n",
            ('unknown directive "bogus"', "/p/nginx.conf.candidate", 42),
        ),
        (
            'nginx: [emerg] host not found in upstream "x.invalid:80" in /p/c:12\n',
            ('host not found in upstream "x.invalid:80"', "/p/c", 12),
        ),
        (
            "nginx: [alert] could not open error log file\n",
            ("could not open error log file", None, None),
        ),
        ("", ("nginx -t failed without output", None, None)),
    ],
)
def test_parse_nginx_error(output: str, expected: tuple[str, str | None, int | None]) -> None:
    assert parse_nginx_error(output) == expected


def test_maintenance_page_escapes_the_environment_name() -> None:
    page = render_maintenance_page("<prod>", 120)
    assert "&lt;prod&gt;" in page
    assert "2 minutes" in page


@pytest.mark.parametrize(
    ("keepalive", "line"), [(False, "keepalive_timeout 0;"), (True, "keepalive_timeout 65s;")]
)
def test_client_keepalive_is_off_unless_asked(keepalive: bool, line: str) -> None:
    assert f"    {line}" in _render(client_keepalive=keepalive).splitlines()
