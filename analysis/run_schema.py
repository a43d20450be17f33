"""The schema ``run.json`` is checked against when a run is loaded.

A run folder is shared between the CLI, the dashboard and whoever copies
it around, so a hand-edited, truncated or foreign ``run.json`` must stop
at the door with one line saying what is wrong, never halfway through a
page. The schema pins only what readers rely on (types of the fields
they use); everything else a build records may vary between versions.
"""

from __future__ import annotations

import jsonschema

_COUNT = {"type": "integer", "minimum": 0}
_TEXT_LIST = {"type": "array", "items": {"type": "string"}}
_EVENTS = {"type": ["array", "null"], "items": {"type": "object"}}
_RECORD = {"type": ["object", "null"]}  # a record a later step fills in (null until then)

#: JSON Schema (draft 2020-12) of run.json.
RUN_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "papertopics run.json",
    "type": "object",
    "required": ["created", "inputs", "parameters", "counts"],
    "properties": {
        "created": {"type": "string"},
        "inputs": {"type": "array", "items": {
            "type": "object", "required": ["path"],
            "properties": {"path": {"type": "string"}, "sha256": {"type": "string"},
                           "format": {"type": "string"}, "rows": _COUNT}}},
        "parameters": {"type": "object", "properties": {"theme_names": _TEXT_LIST}},
        "counts": {"type": "object", "required": ["kept"],
                   "properties": {"input": _COUNT, "kept": _COUNT, "skipped": _COUNT, "topics": _COUNT,
                                  "undated": _COUNT, "novel": _COUNT}},
        "model": _RECORD,
        "vectors": {"type": "object", "required": ["source"],
                    "properties": {"source": {"enum": ["model", "supplied"]}, "column": {"type": "string"},
                                   "dimension": {"type": ["integer", "null"], "minimum": 1}}},
        "embedded_by": {"type": "array", "items": {
            "type": "object", "required": ["node", "actor", "papers"],
            "properties": {"node": {"type": "string"}, "actor": {"type": "string"}, "papers": _COUNT}}},
        "versions": {"type": "object", "additionalProperties": {"type": "string"}},
        "metrics": _RECORD,
        "seconds": {"type": "object", "additionalProperties": {"type": "number"}},
        "warnings": _TEXT_LIST,
        "themes": {"type": "array", "items": {"type": "object", "required": ["name"],
                                              "properties": {"name": {"type": "string"}}}},
        "additions": _EVENTS,
        "refits": _EVENTS,
        "lineage": _EVENTS,
        "edits": _RECORD,
        "used_ids": {"type": "array", "items": {"type": "integer"}},
        "pile_up": _RECORD,
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(RUN_SCHEMA)


def schema_problem(meta: object) -> str | None:
    """The first way ``meta`` breaks the schema, as a short phrase with where ('counts.kept: ...'), or None."""
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(meta))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    return f"{where}: {error.message[:200]}"
