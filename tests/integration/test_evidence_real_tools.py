"""Evidence parsers on real tool output: pytest --junitxml, coverage xml, ruff SARIF."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from relman.domain.evidence import judge_evidence, parse_evidence
from relman.domain.releases import Evidence
from relman.errors import InvalidInputError

BLOCKING = ("critical", "high", "error")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def _judge(kind: str, summary: dict[str, object]) -> bool:
    evidence = Evidence(
        "R1", kind, summary, "sha256:x", "f", "c1", datetime(2026, 1, 1, tzinfo=UTC)
    )
    return judge_evidence(evidence, coverage_min=80.0, blocking_levels=BLOCKING).ok


def _pytest_junit(tmp_path: Path, body: str) -> bytes:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_tiny.py").write_text(body, encoding="utf-8")
    _run(
        ["pytest", "-q", "-p", "no:cacheprovider", "--junitxml=report.xml", "test_tiny.py"],
        tmp_path,
    )
    return (tmp_path / "report.xml").read_bytes()


def test_pytest_junit_all_passing(tmp_path: Path) -> None:
    data = _pytest_junit(
        tmp_path, "def test_a():\n    assert True\n\ndef test_b():\n    assert 1 + 1 == 2\n"
    )
    summary = parse_evidence("junit", data, source="report.xml")
    assert (summary["tests"], summary["failures"], summary["errors"]) == (2, 0, 0)
    assert _judge("junit", summary)


def test_pytest_junit_with_failure_error_and_skip(tmp_path: Path) -> None:
    body = (
        "import pytest\n\n"
        "def test_ok():\n    assert True\n\n"
        "def test_fails():\n    assert 1 == 2\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_skipped():\n    pass\n\n"
        "def test_errors(missing_fixture):\n    pass\n"
    )
    summary = parse_evidence("junit", _pytest_junit(tmp_path, body), source="report.xml")
    assert (summary["tests"], summary["failures"], summary["errors"], summary["skipped"]) == (
        4,
        1,
        1,
        1,
    )
    assert summary["failed_cases"] == ["test_tiny::test_fails", "test_tiny::test_errors"]
    assert not _judge("junit", summary)


def _coverage_xml(tmp_path: Path, calls: str) -> bytes:
    (tmp_path / "tiny.py").write_text(
        "def grade(x):\n    if x > 10:\n        return 'big'\n    return 'small'\n\n" + calls,
        encoding="utf-8",
    )
    assert _run(["coverage", "run", "tiny.py"], tmp_path).returncode == 0
    assert _run(["coverage", "xml", "-o", "coverage.xml"], tmp_path).returncode == 0
    return (tmp_path / "coverage.xml").read_bytes()


def test_coverage_xml_full(tmp_path: Path) -> None:
    summary = parse_evidence(
        "coverage", _coverage_xml(tmp_path, "grade(1)\ngrade(20)\n"), source="coverage.xml"
    )
    assert summary["percent"] == 100.0
    assert summary["generator"] == "coverage.py"
    assert _judge("coverage", summary)


def test_coverage_xml_partial_is_below_the_j003_minimum(tmp_path: Path) -> None:
    # 7 statements; `return 'big'` and the body of unused() never run: 5/7 = 71.43%
    calls = "def unused():\n    return 1\n\ngrade(1)\n"
    summary = parse_evidence("coverage", _coverage_xml(tmp_path, calls), source="coverage.xml")
    assert summary["lines_valid"] == 7
    assert summary["lines_covered"] == 5
    assert summary["percent"] == 71.43
    assert not _judge("coverage", summary)


def _ruff_sarif(tmp_path: Path, code: str) -> bytes:
    (tmp_path / "tiny.py").write_text(code, encoding="utf-8")
    proc = _run(
        ["ruff", "check", "--isolated", "--no-cache", "--output-format", "sarif", "tiny.py"],
        tmp_path,
    )
    return proc.stdout.encode("utf-8")


def test_ruff_sarif_with_findings_blocks(tmp_path: Path) -> None:
    data = _ruff_sarif(tmp_path, "import os\n\nx = undefined_name\n")
    summary = parse_evidence("sarif", data, source="ruff.sarif")
    assert summary["tools"] == ["ruff"]
    findings = summary["findings"]
    assert isinstance(findings, list)
    assert {f["rule"] for f in findings} == {"F401", "F821"}
    assert all(
        f["location"].endswith("tiny.py:" + ("1" if f["rule"] == "F401" else "3")) for f in findings
    )
    assert summary["total"] == 2
    assert not _judge("sarif", summary)


def test_ruff_sarif_clean_passes(tmp_path: Path) -> None:
    summary = parse_evidence("sarif", _ruff_sarif(tmp_path, "X = 1\n"), source="ruff.sarif")
    assert summary["total"] == 0
    assert _judge("sarif", summary)


def test_real_files_passed_as_the_wrong_kind_are_refused(tmp_path: Path) -> None:
    junit = _pytest_junit(tmp_path, "def test_a():\n    assert True\n")
    coverage = _coverage_xml(tmp_path, "grade(1)\n")
    sarif = _ruff_sarif(tmp_path, "import os\n")
    for kind, data in [
        ("junit", coverage),
        ("coverage", junit),
        ("sarif", junit),
        ("junit", sarif),
    ]:
        with pytest.raises(InvalidInputError, match=r"^not ") as info:
            parse_evidence(kind, data, source=f"wrong.{kind}")
        assert info.value.where is not None
        assert info.value.where.startswith(f"wrong.{kind}")
