"""Parse the model files together as one DTDL model set, keeping each broken file's last good version.

`extends` may cross files, so the files are parsed as one set (with the
`dtdl` validator). When some files are broken, the set is parsed again with
those files replaced by the Interfaces last accepted from them (or without
them, if they never were good), until what is left parses: a broken file
never takes the good ones down with it. A registered DTMI whose content
changed is refused the same way (model versions are immutable).

No Django here: files and stored documents in, a value out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dtdl

from .model_files import ModelFile
from .spec import SpecError

__all__ = ["ModelInfo", "ModelSetResult", "canonical_hash", "parse_model_set", "interface_info"]


@dataclass(frozen=True)
class ModelInfo:
    """One Interface as the registry keeps it."""

    dtmi: str
    display_name: str
    description: str
    extends: tuple[str, ...]
    ancestors: tuple[str, ...]  # itself first, then everything it extends, transitively
    contents: tuple[dict[str, Any], ...]  # all contents, inherited ones included
    document: dict[str, Any] | None = None  # the top-level element as written; None for inline Interfaces
    source_path: str = ""

    def content(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.contents if c["name"] == name), None)

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [c for c in self.contents if c["kind"] in kinds]


@dataclass
class ModelSetResult:
    """The model set that parsed, which source each file contributed, and every file's errors."""

    models: dict[str, ModelInfo] = field(default_factory=dict)
    errors: dict[str, list[SpecError]] = field(default_factory=dict)
    # path -> "file" (as on disk), "last" (its last good Interfaces), "drop" (nothing)
    used: dict[str, str] = field(default_factory=dict)


def canonical_hash(document: Any) -> str:
    """Hash of an Interface's meaning, not its spelling: whitespace and key order do not count."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _elements(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [x for x in items if isinstance(x, dict)]


def _position(text: str, needle: str) -> tuple[int, int]:
    at = text.find(needle)
    if at < 0:
        return 1, 1
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _load(f: ModelFile) -> tuple[Any, SpecError | None]:
    if f.unreadable:
        return None, SpecError(f.path, 1, 1, f.unreadable)
    try:
        return json.loads(f.data.decode("utf-8-sig")), None
    except UnicodeDecodeError as exc:
        return None, SpecError(f.path, 1, exc.start + 1, "the file is not valid UTF-8; save it as UTF-8")
    except json.JSONDecodeError as exc:
        return None, SpecError(f.path, exc.lineno, exc.colno, f"JSON syntax error: {exc.msg}")


def parse_model_set(
    files: Sequence[ModelFile],
    last_good: Mapping[str, list[dict[str, Any]]],
    registered: Mapping[str, str],
    fixed: Sequence[tuple[str, dict[str, Any]]] = (),
) -> ModelSetResult:
    """Parse `files` (with the `fixed` documents of models outside the scanned roots) as one set.

    `last_good` holds, by path, the Interfaces last accepted from each file;
    `registered` the canonical hash of every registered DTMI, for the
    immutability rule.
    """
    result = ModelSetResult()
    loaded: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for f in files:
        value, error = _load(f)
        if error is not None:
            result.errors[f.path] = [error]
            result.used[f.path] = "last" if last_good.get(f.path) else "drop"
        else:
            loaded[f.path], texts[f.path] = value, f.data.decode("utf-8-sig")
            result.used[f.path] = "file"
    for _ in range(2 * len(files) + len(fixed) + 2):  # each round steps back at least one document
        docs, owners = _documents(result, texts, last_good, fixed)
        try:
            model_set = dtdl.parse(docs)
        except dtdl.DtdlError as exc:
            if not _demote(result, exc.errors, owners, last_good):
                break
            continue
        if _immutability(result, loaded, texts, registered, last_good):
            continue
        result.models = _infos(model_set, result, loaded, last_good, fixed)
        return result
    result.used = {path: "drop" for path in result.used}
    return result


def _documents(result: ModelSetResult, texts: Mapping[str, str], last_good: Mapping[str, list[dict[str, Any]]],
               fixed: Sequence[tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[tuple[str, str]]]:
    docs: list[Any] = []
    owners: list[tuple[str, str]] = []  # (path, "file" | "last" | "fixed") for each document
    for path in sorted(result.used):
        how = result.used[path]
        if how == "file":
            docs.append(texts[path])
            owners.append((path, "file"))
        elif how == "last":
            for doc in last_good.get(path, []):
                docs.append(doc)
                owners.append((path, "last"))
    for path, doc in fixed:
        if result.used.get(path) == "drop":
            continue
        docs.append(doc)
        owners.append((path, "fixed"))
    return docs, owners


def _demote(result: ModelSetResult, issues: Sequence[Any], owners: list[tuple[str, str]],
            last_good: Mapping[str, list[dict[str, Any]]]) -> bool:
    """Step back the files the issues are in (text -> last good -> nothing); False when none could."""
    stepped: set[str] = set()
    # A reference to a broken Interface is a consequence: step back the broken ones first, and let the
    # files that refer to them try again against their last good versions.
    own = [i for i in issues if not str(getattr(i, "message", "")).startswith("unresolved")]
    for issue in own or issues:
        index = getattr(issue, "document", None)
        if index is None or not 0 <= index < len(owners):
            continue
        path, how = owners[index]
        if how == "file":
            line, column = getattr(issue, "line", None) or 1, getattr(issue, "column", None) or 1
            result.errors.setdefault(path, []).append(SpecError(path, line, column, _sentence(issue)))
        else:
            result.errors.setdefault(path, []).append(SpecError(
                path, 1, 1, f"the last accepted version of this file no longer fits the other models: "
                            f"{_sentence(issue)}"))
        stepped.add(path)
    if not stepped:
        # No issue named a document: step back the first file read as text, one round at a time.
        path = next((p for p, how in owners if how == "file"), None)
        if path is None:
            return False
        message = "; ".join(_sentence(i) for i in list(issues)[:3])
        result.errors.setdefault(path, []).append(SpecError(path, 1, 1, message))
        stepped.add(path)
    for path in stepped:
        how = result.used.get(path, "last")
        result.used[path] = "last" if how == "file" and last_good.get(path) else "drop"
    return True


def _sentence(issue: Any) -> str:
    message = str(getattr(issue, "message", issue))
    pointer = getattr(issue, "pointer", "")
    return f"{message} (at {pointer})" if pointer and pointer not in message else message


def _immutability(result: ModelSetResult, loaded: Mapping[str, Any], texts: Mapping[str, str],
                  registered: Mapping[str, str], last_good: Mapping[str, list[dict[str, Any]]]) -> bool:
    """Refuse files that change a registered DTMI; True when one was refused (parse again)."""
    refused = False
    for path, how in sorted(result.used.items()):
        if how != "file":
            continue
        for element in _elements(loaded[path]):
            dtmi = element.get("@id")
            if not isinstance(dtmi, str) or dtmi not in registered:
                continue
            if registered[dtmi] == canonical_hash(element):
                continue
            line, column = _position(texts[path], json.dumps(dtmi))
            stem, _, version = dtmi.rpartition(";")
            bump = f"{stem};{int(version.split('.')[0]) + 1}" if version.split(".")[0].isdigit() else f"{stem};2"
            result.errors.setdefault(path, []).append(SpecError(
                path, line, column,
                f"{dtmi} is already registered with other content, and a model version never changes; "
                f"give the changed Interface a new version ({bump}) and point its twins at it"))
            result.used[path] = "last" if last_good.get(path) else "drop"
            refused = True
            break
    return refused


def _infos(model_set: Any, result: ModelSetResult, loaded: Mapping[str, Any],
           last_good: Mapping[str, list[dict[str, Any]]], fixed: Sequence[tuple[str, dict[str, Any]]]
           ) -> dict[str, ModelInfo]:
    top: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, how in result.used.items():
        elements = _elements(loaded[path]) if how == "file" else last_good.get(path, []) if how == "last" else []
        for element in elements:
            if isinstance(element.get("@id"), str):
                top[element["@id"]] = (path, element)
    for path, element in fixed:
        if result.used.get(path) != "drop" and isinstance(element.get("@id"), str):
            top.setdefault(element["@id"], (path, element))
    interfaces = model_set.interfaces
    infos = {}
    for dtmi, interface in interfaces.items():
        path, document = top.get(dtmi, ("", None))
        infos[dtmi] = interface_info(interface, interfaces, document, path)
    return infos


def interface_info(interface: Any, interfaces: Mapping[str, Any], document: dict[str, Any] | None = None,
                   path: str = "") -> ModelInfo:
    """The registry's view of one parsed `dtdl` Interface."""
    ancestors: list[str] = []
    todo = [interface.id]
    while todo:
        dtmi = todo.pop(0)
        if dtmi in ancestors:
            continue
        ancestors.append(dtmi)
        parent = interfaces.get(dtmi)
        todo.extend(_ids(getattr(parent, "extends", ()) or ()) if parent is not None else ())
    return ModelInfo(
        dtmi=interface.id,
        display_name=_text(getattr(interface, "display_name", "")),
        description=_text(getattr(interface, "description", "")),
        extends=tuple(_ids(getattr(interface, "extends", ()) or ())),
        ancestors=tuple(ancestors),
        contents=tuple(_content(c) for c in _all_contents(interface, interfaces)),
        document=document,
        source_path=path,
    )


def _ids(values: Any) -> list[str]:
    items = values if isinstance(values, (list, tuple)) else [values]
    return [v if isinstance(v, str) else getattr(v, "id", "") for v in items if v]


def _text(value: Any) -> str:
    if isinstance(value, dict):  # a language map
        return str(value.get("en") or next(iter(value.values()), ""))
    return str(value or "")


def _all_contents(interface: Any, interfaces: Mapping[str, Any]) -> list[Any]:
    contents = interface.all_contents()
    return list(contents.values()) if isinstance(contents, dict) else list(contents)


def _schema_text(schema: Any) -> str:
    if schema is None:
        return ""
    if isinstance(schema, str):
        return schema
    describe = getattr(schema, "describe", None)
    return describe() if callable(describe) else str(getattr(schema, "kind", schema))


def _content(content: Any) -> dict[str, Any]:
    """A content as plain JSON: what the API serves and the checks read."""
    return {
        "kind": content.kind,
        "name": content.name,
        "schema": _schema_text(getattr(content, "schema", None)),
        "unit": getattr(content, "unit", None) or "",
        "semantic_type": getattr(content, "semantic_type", None) or "",
        "target": getattr(content, "target", None) or "",
        "writable": bool(getattr(content, "writable", False)),
        "display_name": _text(getattr(content, "display_name", "")),
        "description": _text(getattr(content, "description", "")),
        "defined_in": getattr(content, "defined_in", None) or "",
    }
