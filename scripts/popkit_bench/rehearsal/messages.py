"""Assistant replies in the Anthropic Messages API shape: SSE stream or one JSON message."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
# The Messages API's error `type` per HTTP status (https://docs.anthropic.com/en/api/errors).
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               529: "overloaded_error"}


@dataclass
class Reply:
    """One assistant message: content blocks (`text` / `tool_use`), stop reason and usage."""

    content: list[dict[str, Any]]
    usage: dict[str, int]
    model: str = "claude-rehearsal"
    id: str = field(default_factory=lambda: "msg_" + uuid.uuid4().hex[:24])

    @property
    def stop_reason(self) -> str:
        return "tool_use" if self.tool_uses() else "end_turn"

    def tool_uses(self) -> list[dict[str, Any]]:
        return [block for block in self.content if block.get("type") == "tool_use"]

    def text(self) -> str:
        return "".join(block.get("text", "") for block in self.content if block.get("type") == "text")


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_use_block(name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:24], "name": name, "input": tool_input}


def derive_usage(prompt_tokens: int, turn: int, content: list[dict[str, Any]]) -> dict[str, int]:
    """Plausible, deterministic usage: most of the prompt cached (created on turn 0, read later)."""
    fresh = max(1, prompt_tokens // 50)
    cached = max(0, prompt_tokens - fresh)
    out_chars = len(json.dumps(content, separators=(",", ":"), ensure_ascii=False))
    return {
        "input_tokens": fresh,
        "output_tokens": max(1, out_chars // 4),
        "cache_read_input_tokens": 0 if turn == 0 else cached,
        "cache_creation_input_tokens": cached if turn == 0 else 0,
    }


def message_json(reply: Reply) -> dict[str, Any]:
    """The non-streaming response body."""
    return {
        "id": reply.id, "type": "message", "role": "assistant", "model": reply.model,
        "content": reply.content, "stop_reason": reply.stop_reason, "stop_sequence": None,
        "usage": dict(reply.usage),
    }


def sse_events(reply: Reply) -> list[tuple[str, dict[str, Any]]]:
    """The stream of (event name, data) for one reply.

    `message_delta.usage` repeats every number of `message_start`: Claude Code 2.1.330 lets the delta's
    numbers replace the start's, so both must agree.
    """
    start_usage = {**reply.usage, "output_tokens": min(1, reply.usage["output_tokens"])}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": {
        "id": reply.id, "type": "message", "role": "assistant", "model": reply.model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": start_usage}})]
    for index, block in enumerate(reply.content):
        if block["type"] == "tool_use":
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"], ensure_ascii=False)}
        else:
            opening = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        events += [
            ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}),
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": index}),
        ]
    events += [
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                           "usage": dict(reply.usage)}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def encode_sse(events: list[tuple[str, dict[str, Any]]]) -> bytes:
    """Server-Sent Events wire format."""
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
                   for name, data in events).encode("utf-8")


def decode_sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body back into (event name, data) pairs."""
    out: list[tuple[str, dict[str, Any]]] = []
    for chunk in raw.decode("utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        for line in chunk.splitlines():
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
        if "data" in fields:
            out.append((fields.get("event", "message"), json.loads(fields["data"])))
    return out


def assemble(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Rebuild the message a client sees: blocks from deltas; usage from message_start, then message_delta."""
    message = dict(events[0][1]["message"])
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for name, data in events[1:]:
        if name == "content_block_start":
            blocks[data["index"]] = dict(data["content_block"])
        elif name == "content_block_delta" and data["delta"]["type"] == "text_delta":
            blocks[data["index"]]["text"] += data["delta"]["text"]
        elif name == "content_block_delta":
            partial[data["index"]] = partial.get(data["index"], "") + data["delta"]["partial_json"]
        elif name == "message_delta":
            message["stop_reason"] = data["delta"]["stop_reason"]
            message["usage"] = {**message["usage"], **data["usage"]}
    for index, text in partial.items():
        blocks[index]["input"] = json.loads(text) if text else {}
    message["content"] = [blocks[i] for i in sorted(blocks)]
    return message


def error_json(status: int, message: str) -> dict[str, Any]:
    """An Anthropic-style error body."""
    return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}


def scripted_failure_text(status: int) -> str:
    """The message of a scripted failure (`fail_first`), close to what the real API says for that status."""
    said = {401: "invalid x-api-key", 403: "Your API key does not have permission to use the specified resource.",
            404: "model not found", 429: "Number of request tokens has exceeded your per-minute rate limit",
            529: "Overloaded"}
    default = "Internal server error" if status >= 500 else "Request failed"
    return f"{said.get(status, default)} (scripted failure, fail_first: status {status})"
