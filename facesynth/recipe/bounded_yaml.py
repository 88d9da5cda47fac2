"""Safe YAML with limits: a recipe is small plain data, so anything that would take the machine's
memory or stack is refused in milliseconds, before it is expanded.

An alias (`*a`) shares one node, so a "billion laughs" document is tiny as a node graph and huge
once anything walks it as a tree (the constructor's consumers, pydantic, the line map). The graph
is composed once, its tree size is counted with one pass over the distinct nodes, and documents
that expand beyond `MAX_NODES`, nest deeper than `MAX_DEPTH`, alias themselves, or exceed
`MAX_BYTES` are refused with one line.
"""

from __future__ import annotations

from typing import Any

import yaml

from facesynth.errors import UserError

MAX_BYTES = 1 << 20  # 1 MiB: the largest shipped recipe is a few kB
MAX_NODES = 100_000  # scalars, lists and mappings after expanding every alias
MAX_DEPTH = 64


class YamlLimitError(UserError):
    """A YAML document over one of the limits (size, expansion, nesting)."""


def check_size(text: str | bytes, source: str) -> None:
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise YamlLimitError(f"{source}: {size:,} bytes is too large for a recipe (at most {MAX_BYTES:,}); "
                             "recipes are small YAML files")


def compose(text: str, source: str) -> yaml.Node | None:
    """The node graph of one YAML document, refused when it is over a limit (see module doc).

    Raises yaml.YAMLError for malformed YAML (the caller formats it with the line)."""
    check_size(text, source)
    _check_nesting(text, source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise YamlLimitError(f"{source}: nested too deeply (at most {MAX_DEPTH} levels)") from None
    if root is not None:
        _check_expansion(root, source)
    return root


def construct(node: yaml.Node | None) -> Any:
    """Python data of a composed (and checked) node graph, with the safe constructors only."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def safe_load(text: str, source: str) -> Any:
    """yaml.safe_load with the limits of this module."""
    return construct(compose(text, source))


def _check_nesting(text: str, source: str) -> None:
    """Refuse deep nesting from the event stream, before the (recursive) composer sees it: PyYAML's
    scanner also slows down with the nesting level, so stopping at MAX_DEPTH keeps this fast."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise YamlLimitError(f"{source}:{line}: nested too deeply (at most {MAX_DEPTH} levels)")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Tree size and depth of the graph, counted once per distinct node (iteratively: no recursion)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if size[key] > MAX_NODES:
                line = node.start_mark.line + 1
                raise YamlLimitError(
                    f"{source}:{line}: YAML aliases expand to over {MAX_NODES:,} values (an alias bomb?); "
                    "recipes are small plain data")
            if depth[key] > MAX_DEPTH:
                raise YamlLimitError(f"{source}:{node.start_mark.line + 1}: nested too deeply "
                                     f"(at most {MAX_DEPTH} levels)")
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlLimitError(f"{source}:{node.start_mark.line + 1}: a YAML alias refers to the "
                                 "collection that contains it (a recursive structure)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
