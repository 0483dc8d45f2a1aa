"""The sandbox in tasks and analysis: `network:` in task files, and the checklist's sandbox criterion."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from popkit_bench.analysis.validity import confinement
from popkit_bench.cli import main
from popkit_bench.report.validity_view import criterion_numbers
from popkit_bench.tasks.spec import load_task

TASK = textwrap.dedent("""\
    id: net-task
    category: bug-fixing
    description: Needs packages
    codebase: sample
    initial_state: main
    user_prompt: Install and fix.
    verification:
      - python3 -m unittest -q
    """)


def test_network_defaults_to_gateway_and_accepts_full(tmp_path: Path) -> None:
    path = tmp_path / "net-task.yml"
    path.write_text(TASK)
    assert load_task(path).network == "gateway"
    path.write_text(TASK + "network: full\n")
    assert load_task(path).network == "full"


def test_bad_network_is_exit_2_naming_file_field_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "net-task.yml"
    path.write_text(TASK + "network: internet\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:9:" in err and "'network'" in err and "gateway or full" in err and "Traceback" not in err


def test_sandbox_criterion() -> None:
    bwrap = [{"arm": "a", "sandbox": "bwrap"}, {"arm": "b", "sandbox": "bwrap"}]
    assert confinement(bwrap)["passed"] is True
    unconfined = confinement([{"sandbox": "none"}, {"sandbox": "none"}])
    assert unconfined["passed"] is False and "NO SANDBOX" in unconfined["detail"]
    mixed = confinement([{"sandbox": "bwrap"}, {"sandbox": "none"}])
    assert mixed["passed"] is False and "MIXED" in mixed["detail"]
    assert confinement([{"sandbox": "bwrap"}, {}])["passed"] is False  # a resumed run mixing old and new
    old = confinement([{}, {"sandbox": None}])
    assert old["passed"] is None and old["numbers"] == {"levels": {"not recorded": 2}}
    assert criterion_numbers("sandbox", mixed["numbers"]) == "sandbox levels: bwrap 1, none 1"
