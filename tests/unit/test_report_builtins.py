"""The report's environment lists the built-in plugins of both arms and the plugin's overlaps with them."""

from __future__ import annotations

import json
from pathlib import Path

from synthetic_run import RunSpec, write_run

from popkit_bench.report.builtins import builtin_rows, read_init
from popkit_bench.report.load import load_run_data

CLI_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"
BUILTINS = "cc-plugin-agents-md, cc-plugin-plugin-authoring, cc-plugin-privacy"


def put_init(run_dir: Path, arm: str, init: dict) -> None:
    for stream in run_dir.glob(f"trials/*/{arm}/*/stream.jsonl"):
        lines = stream.read_text().splitlines()
        stream.write_text("\n".join([json.dumps(init)] + lines[1:]) + "\n")


def real_init(name: str) -> dict:
    return json.loads((CLI_FIXTURE / name / "stream.jsonl").read_text().splitlines()[0])


def test_builtins_of_the_real_cli_are_listed_once_when_both_arms_agree(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "run", RunSpec())
    put_init(run_dir, "baseline", real_init("basic"))
    put_init(run_dir, "popkit-ops", real_init("plugin"))
    rows = dict(builtin_rows(load_run_data(run_dir)))
    assert rows["Built-in plugins (loaded in every arm)"] == BUILTINS
    assert rows["Overlap with built-ins"].startswith("none: no command or skill of popkit-ops")


def test_an_overlapping_command_is_named(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "run", RunSpec())
    init = real_init("plugin")
    init["slash_commands"] = init["slash_commands"] + ["popkit-ops:code-review"]
    put_init(run_dir, "baseline", real_init("basic"))
    put_init(run_dir, "popkit-ops", init)
    rows = dict(builtin_rows(load_run_data(run_dir)))
    assert rows["Overlap with built-ins"] == ("popkit-ops:code-review has the same name as the built-in "
                                              "`code-review` (both load: the model may pick either)")


def test_arms_that_differ_get_a_row_each_and_records_alone_suffice(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "run", RunSpec())
    lines = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    for record in lines:
        record["plugins_loaded"] += ["cc-plugin-privacy"] if record["arm"] == "baseline" else []
    (run_dir / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    rows = dict(builtin_rows(load_run_data(run_dir)))
    assert rows["Built-in plugins, arm baseline"] == "cc-plugin-privacy"
    assert rows["Built-in plugins, arm popkit-ops"] == "none"


def test_read_init_reads_only_the_first_lines(tmp_path: Path) -> None:
    stream = tmp_path / "stream.jsonl"
    stream.write_text("not json\n" + json.dumps({"type": "system", "subtype": "init", "plugins": []}) + "\n")
    assert read_init(stream) == {"type": "system", "subtype": "init", "plugins": []}
    assert read_init(tmp_path / "missing.jsonl") is None
