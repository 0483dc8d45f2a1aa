"""A play variant's `when`: conditions on what the session's first main-loop request shows the model.

Three views of that request: the whole context (system, messages, tools), the user's prompt (the query),
and the skill listing (`- [plugin:]name: description` lines outside the prompt). See docs/formats.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from popkit_bench.rehearsal.request_info import context_text, query_text, skill_listing

CONTEXT_KEYS = ("context_contains", "context_not_contains", "context_regex")
QUERY_KEYS = ("query_contains", "query_not_contains", "query_regex")
SKILL_KEYS = ("skill_listed", "skill_not_listed", "skill_description_contains")
MODEL_KEYS = ("model", "model_regex")
WHEN_KEYS = CONTEXT_KEYS + QUERY_KEYS + SKILL_KEYS + MODEL_KEYS
REGEX_KEYS = ("context_regex", "query_regex", "model_regex")


@dataclass(frozen=True)
class RequestView:
    """What a condition looks at: the whole context, the query, the listed skills {name: description} and the
    model the request asks for."""

    context: str
    query: str
    listing: Mapping[str, str]
    model: str | None = None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> RequestView:
        model = body.get("model")
        return cls(context_text(body), query_text(body), skill_listing(body), model if isinstance(model, str) else None)

    def description(self, skill: str) -> str | None:
        """The listed description of `skill` (`name` or `plugin:name`), or None when it is not listed."""
        for listed, description in self.listing.items():
            if listed == skill or listed.rpartition(":")[2] == skill:
                return description
        return None


@dataclass(frozen=True)
class Condition:
    """Every given key must hold (all None: always true)."""

    contains: str | None = None
    not_contains: str | None = None
    regex: re.Pattern[str] | None = None
    query_contains: str | None = None
    query_not_contains: str | None = None
    query_regex: re.Pattern[str] | None = None
    skill_listed: str | None = None
    skill_not_listed: str | None = None
    skill_description_contains: str | None = None
    model: str | None = None
    model_regex: re.Pattern[str] | None = None

    def matches(self, view: RequestView | str) -> bool:
        """True when every condition holds; a bare string is taken as the whole context (no query, no listing)."""
        if isinstance(view, str):
            view = RequestView(view, "", {})
        return (self._context_ok(view.context) and self._query_ok(view.query) and self._skills_ok(view)
                and self._model_ok(view.model))

    def _model_ok(self, model: str | None) -> bool:
        if self.model is not None and model != self.model:
            return False
        return self.model_regex is None or self.model_regex.search(model or "") is not None

    def _context_ok(self, text: str) -> bool:
        return _text_matches(text, self.contains, self.not_contains, self.regex)

    def _query_ok(self, query: str) -> bool:
        return _text_matches(query, self.query_contains, self.query_not_contains, self.query_regex)

    def _skills_ok(self, view: RequestView) -> bool:
        if self.skill_not_listed is not None and view.description(self.skill_not_listed) is not None:
            return False
        if self.skill_listed is None:
            return True
        description = view.description(self.skill_listed)
        if description is None:
            return False
        return self.skill_description_contains is None or self.skill_description_contains in description


def make_condition(strings: Mapping[str, str], compile_regex: Any) -> Condition:
    """A Condition from validated `when` strings; `compile_regex(key, pattern)` compiles (or raises)."""
    regex = {key: compile_regex(key, strings[key]) for key in REGEX_KEYS if key in strings}
    return Condition(
        contains=strings.get("context_contains"), not_contains=strings.get("context_not_contains"),
        regex=regex.get("context_regex"), query_contains=strings.get("query_contains"),
        query_not_contains=strings.get("query_not_contains"), query_regex=regex.get("query_regex"),
        skill_listed=strings.get("skill_listed"), skill_not_listed=strings.get("skill_not_listed"),
        skill_description_contains=strings.get("skill_description_contains"), model=strings.get("model"),
        model_regex=regex.get("model_regex"),
    )


def _text_matches(text: str, contains: str | None, not_contains: str | None, regex: Any) -> bool:
    """Every condition given holds: `contains` in text, `not_contains` not in it, `regex` found."""
    if contains is not None and contains not in text:
        return False
    if not_contains is not None and not_contains in text:
        return False
    return regex is None or regex.search(text) is not None
