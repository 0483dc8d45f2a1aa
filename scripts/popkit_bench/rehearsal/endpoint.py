"""The runner's model endpoint in rehearsal mode: one server, each trial its own key and play."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from popkit_bench.rehearsal.play import Play, generic_play, load_play
from popkit_bench.rehearsal.served import Served
from popkit_bench.rehearsal.server import RehearsalServer


class RehearsalEndpoint:
    """Serves each task's play (its `play` file, else a generic play running its verification)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = RehearsalServer(None, host, port)
        self._plays: dict[str, Play] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def play_for(self, task: Any) -> Play:
        """The task's play, loaded once (InputError if the play file is bad)."""
        play_path: Path | None = getattr(task, "play_path", None)
        cache_key = str(play_path) if play_path else f"generic:{task.id}"
        with self._lock:
            if cache_key not in self._plays:
                if play_path:
                    self._plays[cache_key] = load_play(play_path)
                else:
                    commands = [v.command for v in getattr(task, "verification", ())]
                    self._plays[cache_key] = generic_play(commands, name=f"generic-{task.id}")
            return self._plays[cache_key]

    def base_url_for(self, key: str, task: Any, arm: Any = None) -> str:
        """ANTHROPIC_BASE_URL for one trial; the arm does not matter: variants look at the context."""
        return self.server.base_url_for(key, self.play_for(task))

    def served(self, key: str) -> Served:
        return self.server.served(key)

    def after_trial(self, spec: Any, trial_dir: Path, record: Any) -> Any:
        """What the scripted model sent this trial (variant, tool calls, usage), into rehearsal.json."""
        served = self.served(spec.key.slug)
        data = {
            "play": self.play_for(spec.task).name,
            "variants": served.variants(),
            "tool_counts": served.tool_counts(),
            "tool_uses": [{"name": b["name"], "id": b.get("id")} for b in served.tool_uses()],
            "usage_totals": served.usage_totals(),
        }
        (trial_dir / "rehearsal.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
        return record
