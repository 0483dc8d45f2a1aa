"""Watch mode (`run --watch`): each trial's Claude Code session runs in its own visible terminal window.

The window runs `python -m popkit_bench.watch.session SPEC` (session.py): the same host (agent/host.py),
argv, environment and isolation as a headless trial, writing the same stream.jsonl; it prints a readable
view of the session and, at the end, an exit-code file (window-exit.json). The scheduler (execution/benchmark_run.py)
detects completion from that file, never by polling the window. The prompt never appears on a command
line: it travels in the spec file, which lives in the trial's private config folder (mode 0600).
"""
