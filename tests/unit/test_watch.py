"""Watch mode: terminal-window commands for Linux, macOS and Windows quote everything safely, and the
prompt never goes on a command line (it travels in a private spec file)."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest

from popkit_bench.agent.claude import AgentRequest
from popkit_bench.watch.terminals import (
    applescript_string,
    cmd_quote,
    detect,
    linux_command,
    macos_command,
    window_command,
    windows_command,
)
from popkit_bench.watch.view import render
from popkit_bench.watch.window_runner import WindowRunner

HOSTILE_PROMPT = (
    "Fix it. Don't \"break\" anything: it's `$(rm -rf ~)`; echo $HOME & del %PATH% | x > y ^ ! ;\n"
    "second line with 'apostrophes' and \\backslashes\\ and\ttabs"
)
HOSTILE_PATH = "/tmp/it's a \"dir\" $(x) %TEMP% & ^ ;/spec file.json"
WIN_PATH = r"C:\Users\O'Brien & Co\100% sure (x)\spec.json"


def unescape_applescript(literal: str) -> str:
    assert literal[0] == '"' and literal[-1] == '"'
    out, i, body = [], 0, literal[1:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            out.append({"n": "\n", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        assert ch != '"', "unescaped quote inside an AppleScript string"
        out.append(ch)
        i += 1
    return "".join(out)


def parse_cmd_line(line: str) -> list[str]:
    """How cmd.exe + the C runtime split a line: quotes group, ^ escapes outside quotes; metacharacters
    outside quotes (other than an escaped %) would be interpreted, so they fail the test."""
    words, word, quoted, i, started = [], [], False, 0, False
    while i < len(line):
        ch = line[i]
        if ch == '"':
            quoted, started = not quoted, True
        elif quoted:
            assert ch != "%", "% inside quotes would still be expanded by cmd.exe"
            word.append(ch)
        elif ch == "^":
            assert line[i + 1] == "%", "only ^% is expected outside quotes"
            word.append("%")
            i += 1
            started = True
        elif ch == " ":
            if started:
                words.append("".join(word))
            word, started = [], False
        else:
            assert ch not in '&|<>()%!', f"unquoted cmd metacharacter {ch!r}"
            word.append(ch)
            started = True
        i += 1
    assert not quoted
    if started:
        words.append("".join(word))
    return words


def test_linux_terminals_get_argv_lists_unchanged() -> None:
    argv = ["/usr/bin/python3", "-m", "popkit_bench.watch.session", HOSTILE_PATH]
    for terminal, marker in (("xterm", "-e"), ("gnome-terminal", "--"), ("konsole", "-e")):
        command = linux_command(terminal, argv, "title 'x' $(y)")
        assert command[0] == terminal
        cut = command.index(marker) + 1
        assert command[cut:] == argv
        assert all("$(y)" not in part and "'" not in part for part in command[:cut])


def test_macos_osascript_quotes_the_shell_line_inside_the_applescript_string() -> None:
    argv = ["/opt/py thon/bin/python3", "-m", "popkit_bench.watch.session", HOSTILE_PATH]
    command = macos_command(argv, "t\"itle", cwd="/tmp/trial dir's", env={"PYTHONPATH": "/a b:/c'd"})
    assert command[0] == "osascript" and command[1] == "-e"
    statement = command[2]
    prefix = 'tell application "Terminal" to set w to do script '
    assert statement.startswith(prefix)
    shell_line = unescape_applescript(statement[len(prefix):])
    assert shlex.split(shell_line) == ["cd", "/tmp/trial dir's", "&&", "exec", "env", "PYTHONPATH=/a b:/c'd", *argv]
    assert "t\"itle" not in " ".join(command)
    assert applescript_string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_windows_start_line_survives_cmd_parsing() -> None:
    argv = [r"C:\Program Files\Python 3.11\python.exe", "-m", "popkit_bench.watch.session", WIN_PATH]
    line = windows_command(argv, "title & del %x%")
    words = parse_cmd_line(line)
    assert words[:4] == ["cmd.exe", "/d", "/c", "start"]
    assert words[5] == "/wait" and words[6:] == argv
    assert "&" not in words[4] and "%" not in words[4]
    assert cmd_quote("100%") == '"100"^%' and cmd_quote("%A%B") == '^%"A"^%"B"'
    with pytest.raises(ValueError):
        cmd_quote('say "hi"')


def test_the_prompt_never_reaches_a_command_line(tmp_path: Path) -> None:
    trial = tmp_path / "trials" / "task" / "arm" / "1"
    trial.mkdir(parents=True)
    config = tmp_path / "config"
    config.mkdir()
    request = AgentRequest(prompt=HOSTILE_PROMPT, cwd=tmp_path, session_id="s-1", config_dir=config,
                           stream_path=trial / "stream.jsonl", stderr_path=trial / "stderr.txt", timeout_s=60)
    runner = WindowRunner("xterm")
    spec = runner.spec(Path("/bin/claude"), request)
    assert spec["prompt"] == HOSTILE_PROMPT
    assert json.loads(json.dumps(spec))["prompt"] == HOSTILE_PROMPT
    assert all(HOSTILE_PROMPT not in arg and "rm -rf" not in arg for arg in spec["argv"])
    window_argv = runner.window_argv(config / "watch-session.json")
    for terminal in ("xterm", "gnome-terminal", "konsole", "Terminal", "start"):
        command = window_command(terminal, window_argv, spec["title"], cwd=str(trial), env={"PYTHONPATH": "/x"})
        text = command if isinstance(command, str) else " ".join(command)
        assert "rm -rf" not in text and "apostrophes" not in text


def test_detection_falls_back_without_a_window_system() -> None:
    support = detect("linux", env={})
    assert support.terminal is None and "DISPLAY" in support.reason
    if shutil.which("xterm"):
        assert detect("linux", env={"DISPLAY": ":9", "POPKIT_WATCH_TERMINAL": "xterm"}).terminal == "xterm"
    assert detect("linux", env={"DISPLAY": ":9", "POPKIT_WATCH_TERMINAL": "no-such-term"}).terminal is None
    assert detect("win32", env={}).terminal == "start"


def test_view_renders_a_readable_session() -> None:
    assert render({"type": "system", "subtype": "init", "claude_code_version": "2.1.330", "model": "m",
                   "plugins": [{"name": "popkit-ops"}]}) == ["== Claude Code 2.1.330 | model m | plugins: popkit-ops"]
    lines = render({"type": "assistant", "message": {"content": [
        {"type": "text", "text": "Let me\nlook"}, {"type": "tool_use", "name": "Bash", "input": {"command": "ls"}}]}})
    assert lines == ["Claude: Let me look", "-> Bash: ls"]
    assert render({"type": "user", "message": {"content": [
        {"type": "tool_result", "content": "Exit code 1", "is_error": True}]}}) == ["   <- error: Exit code 1"]
    assert render({"type": "result", "subtype": "success", "num_turns": 3, "total_cost_usd": 0.5,
                   "duration_ms": 10})[0].startswith("== result: success, 3 turns, $0.5000")
