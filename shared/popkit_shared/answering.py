"""Answer Claude's questions and permission requests from a responses file, the same way in every arm.

Matching rules for a question (one entry of AskUserQuestion's `questions`), first match wins:
  1. a `responses` key equal to the question's `header`;
  2. a `responses` key equal to the question text;
  3. a `responses` key that, as a case-insensitive RE2 regex (linear time: popkit_shared/safe_regex.py),
     matches the header or the question text; keys are tried in file order (keys that are not valid
     regexes are skipped: they match exactly, by rules 1-2, only).
Unmatched questions get the default: the first option (`"defaultAnswer": "first"`, the default), or
"No preference" (`"defaultAnswer": "decline"`, also used when the question has no options).
Answers: an option label (spelled as the option when it matches one case-insensitively, else passed on as
free text); a list of labels (multi-select, joined with ", "); true/false (the first option that reads
yes/no, else the first/last option); {"other": "free text"} (the text itself).

Permission decisions for a tool use: the subject `<ToolName> <input as JSON>` (for Bash: `Bash <command>`)
is searched with `explicitDeclines` first (a match denies: declines win), then `standardAutoApprove`
(a match allows); otherwise `defaultPermission` applies ("allow" unless the file says "deny").
Only tool uses Claude Code asks about reach this (see docs/responses.md); declines are also checked for
every tool use by the host's PreToolUse callback, so a declined command is refused even when the
permission mode would have approved it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from popkit_shared.benchmark_responses import Answer, ResponsesFile
from popkit_shared.safe_regex import PatternError, compile_pattern

YES = re.compile(r"^\s*(yes|y|allow|approve|accept|ok|true|proceed|continue)\b", re.IGNORECASE)
NO = re.compile(r"^\s*(no|n|deny|decline|reject|false|cancel|stop|skip)\b", re.IGNORECASE)
NO_PREFERENCE = "No preference"
SUBJECT_LIMIT = 2000


@dataclass(frozen=True)
class QuestionAnswer:
    """One answered question and how the answer was chosen (for the trial's log)."""

    question: str
    header: str | None
    answer: str
    matched_by: str  # header | question | regex:<key> | default
    multi_select: bool = False
    options: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"] = list(self.options)
        return data


def answer_questions(questions: list[dict[str, Any]], responses: ResponsesFile) -> list[QuestionAnswer]:
    """Answer every question of an AskUserQuestion input."""
    return [answer_question(q, responses) for q in questions if isinstance(q, dict)]


def answers_map(answered: list[QuestionAnswer]) -> dict[str, str]:
    """The `answers` object AskUserQuestion expects: question text -> answer text."""
    return {a.question: a.answer for a in answered}


def answer_question(question: dict[str, Any], responses: ResponsesFile) -> QuestionAnswer:
    """Answer one question by the matching rules above."""
    text = str(question.get("question") or "")
    header = question.get("header") if isinstance(question.get("header"), str) else None
    labels = tuple(str(o["label"]) for o in question.get("options") or [] if isinstance(o, dict) and o.get("label"))
    multi = bool(question.get("multiSelect"))
    chosen, how = _lookup(responses.responses, header, text)
    if chosen is None:
        default = NO_PREFERENCE if responses.default_answer == "decline" or not labels else labels[0]
        return QuestionAnswer(text, header, default, "default", multi, labels)
    return QuestionAnswer(text, header, render_answer(chosen, list(labels)), how, multi, labels)


def _lookup(table: dict[str, Answer], header: str | None, text: str) -> tuple[Answer | None, str]:
    if header is not None and header in table:
        return table[header], "header"
    if text in table:
        return table[text], "question"
    for key, value in table.items():
        try:
            pattern = compile_pattern(key)
        except PatternError:
            continue
        if (header is not None and pattern.search(header)) or pattern.search(text):
            return value, f"regex:{key}"
    return None, "default"


def render_answer(answer: Answer, labels: list[str]) -> str:
    """The answer text for AskUserQuestion."""
    if isinstance(answer, bool):
        wanted = YES if answer else NO
        for label in labels:
            if wanted.search(label):
                return label
        if labels:
            return labels[0] if answer else labels[-1]
        return "Yes" if answer else "No"
    if isinstance(answer, list):
        return ", ".join(_as_label(a, labels) for a in answer)
    if isinstance(answer, dict):
        return answer["other"]
    return _as_label(answer, labels)


def _as_label(text: str, labels: list[str]) -> str:
    """The option's own spelling when `text` names it (case-insensitively), else the text as given."""
    for label in labels:
        if label.casefold() == text.strip().casefold():
            return label
    return text


@dataclass(frozen=True)
class PermissionDecision:
    """Allow or deny one tool use, with the rule that decided."""

    allow: bool
    rule: str  # decline:<regex> | approve:<regex> | default
    message: str


# Tools whose subject is what they act on (a path or URL), not their whole input: a file's *content*
# mentioning "rm -rf" must not make a decline rule fire on writing that file.
SUBJECT_FIELDS = {
    "Bash": "command", "Read": "file_path", "Write": "file_path", "Edit": "file_path", "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path", "Glob": "pattern", "Grep": "pattern", "WebFetch": "url", "WebSearch": "query",
    "Skill": "skill",
}


def permission_subject(tool_name: str, tool_input: dict[str, Any]) -> str:
    """The text matched against the regexes: `<Tool> <what it acts on>` (Bash: the command; file tools: the
    path; WebFetch: the URL), else `<Tool> <json input>`; cut at 2000 characters."""
    field = SUBJECT_FIELDS.get(tool_name)
    if field and isinstance(tool_input.get(field), str):
        return f"{tool_name} {tool_input[field]}"[:SUBJECT_LIMIT]
    return f"{tool_name} {json.dumps(tool_input, sort_keys=True, default=str)}"[:SUBJECT_LIMIT]


def declined_by(tool_name: str, tool_input: dict[str, Any], responses: ResponsesFile) -> str | None:
    """The `explicitDeclines` regex that matches this tool use, or None."""
    subject = permission_subject(tool_name, tool_input)
    for pattern in responses.declines:
        if pattern.search(subject):
            return pattern.pattern
    return None


def decide_permission(
    tool_name: str, tool_input: dict[str, Any], responses: ResponsesFile, *, default_allow: bool | None = None
) -> PermissionDecision:
    """Declines win over approvals; otherwise `default_allow`, else the file's `defaultPermission`."""
    declined = declined_by(tool_name, tool_input, responses)
    if declined is not None:
        return PermissionDecision(False, f"decline:{declined}",
                                  f"Denied by the benchmark's explicitDeclines rule {declined!r}")
    subject = permission_subject(tool_name, tool_input)
    for pattern in responses.auto_approve:
        if pattern.search(subject):
            return PermissionDecision(True, f"approve:{pattern.pattern}", "approved by standardAutoApprove")
    allow = responses.default_permission == "allow" if default_allow is None else default_allow
    if allow:
        return PermissionDecision(True, "default", "allowed by the benchmark's default policy")
    return PermissionDecision(False, "default", "Denied: no standardAutoApprove rule matched")
