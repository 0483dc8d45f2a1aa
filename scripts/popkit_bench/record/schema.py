"""The published JSON Schema of the trial record, generated from the typed definition.

`python -m popkit_bench.record.schema --write` regenerates docs/schema/trial-record.schema.json; a test
fails when the committed file differs from what the code generates (so the two cannot drift).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from popkit_bench.record.plain import json_schema
from popkit_bench.record.trial_record import TrialRecord

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "schema"
TRIAL_RECORD_SCHEMA = SCHEMA_DIR / "trial-record.schema.json"
SCHEMA_ID = "https://popkit-ops.dev/schema/trial-record.schema.json"


def trial_record_schema() -> dict[str, Any]:
    """The schema of one results.jsonl line."""
    return json_schema(TrialRecord, title="popkit-ops trial record (one line of results.jsonl)", schema_id=SCHEMA_ID)


def render(schema: dict[str, Any]) -> str:
    """The schema file's exact text."""
    return json.dumps(schema, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write docs/schema/trial-record.schema.json")
    args = parser.parse_args(argv)
    text = render(trial_record_schema())
    if args.write:
        TRIAL_RECORD_SCHEMA.parent.mkdir(parents=True, exist_ok=True)
        TRIAL_RECORD_SCHEMA.write_text(text, encoding="utf-8")
        print(f"wrote {TRIAL_RECORD_SCHEMA}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
