"""`skill triggers`: does Claude pick the skill when it should, and only then (issue 17).

queries (QUERIES.json) -> config (skill, rivals, play) -> install (plugins, project skills) -> session (one
isolated claude run) -> detect (trigger or not, which rival) -> stats / compare -> output (JSON, md, HTML).
"""
