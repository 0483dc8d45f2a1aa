"""The isolation recipe for one trial: a fresh config dir, a scrubbed environment, credentials passed through.

Credentials never reach the run folder: the per-trial CLAUDE_CONFIG_DIR lives in a temp folder outside it
and is removed after the trial (its transcript is copied out first).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from popkit_shared.redact import env_secrets

CREDENTIAL_VARS = ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN")
# Variables of an enclosing Claude Code session (the slash command path) or of the user's set-up that
# would make the two arms differ or leak the parent session into the trial.
DROPPED_PREFIXES = ("CLAUDE", "ANTHROPIC_", "POPKIT_", "MCP_", "OTEL_")
QUIET_ENV = {
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}
# Claude Code 2.1.330 connects MCP servers in the background by default: a slow server is still `pending`
# in the init event and missing from the first model request. Waiting for them gives every trial the same
# tools from its first turn, and the init event a final status to check purity against.
FIXED_ENV = {"MCP_CONNECTION_NONBLOCKING": "false"}


def config_root(run_id: str) -> Path:
    """Where a run's per-trial config dirs live (outside the run folder, so no credential lands there)."""
    return Path(tempfile.gettempdir()) / "popkit-bench-config" / run_id


def make_config_dir(run_id: str, key: str, *, copy_login: bool = True) -> Path:
    """A fresh, empty CLAUDE_CONFIG_DIR for one trial (mode 0700), with a subscription login copied in.

    `copy_login=False` when the trial reaches the model through the gateway (which holds the login itself).
    """
    path = config_root(run_id) / key
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, mode=0o700)
    if copy_login:
        _copy_login(path)
    return path


def _copy_login(config_dir: Path) -> None:
    """A Linux subscription login (~/.claude/.credentials.json) is invisible to a fresh config dir: copy it."""
    if any(os.environ.get(v) for v in CREDENTIAL_VARS):
        return
    source = Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude") / ".credentials.json"
    if source.is_file():
        target = config_dir / ".credentials.json"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(source.read_bytes())


def remove_config_dir(path: Path) -> None:
    """Delete a trial's config dir (it may hold a copied login)."""
    shutil.rmtree(path, ignore_errors=True)


def trial_env(config_dir: Path, *, base_url: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a trial's claude process: the user's minus Claude/Anthropic variables, plus isolation.

    Credentials pass through from the user's environment; with a scripted model a dummy key is used.
    """
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(DROPPED_PREFIXES)}
    env.update(QUIET_ENV)
    env.update(FIXED_ENV)
    env["CLAUDE_CONFIG_DIR"] = str(config_dir)
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
        env["ANTHROPIC_API_KEY"] = "rehearsal-no-key"
    else:
        for name in CREDENTIAL_VARS + ("ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL"):
            if os.environ.get(name):
                env[name] = os.environ[name]
    env.update(extra or {})
    return env


def secret_values() -> list[str]:
    """Credential values present in this process, to be scrubbed from anything written to a run folder
    (the redaction module's rule: CREDENTIAL_VARS and every other *_KEY/*_TOKEN/*SECRET* variable)."""
    return env_secrets()
