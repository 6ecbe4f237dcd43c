"""Every span attribute set anywhere in services/ and shared/ is in the registry (found by reading the code)."""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.telemetry.attributes import DROPPED_BY_DESIGN, FOREIGN, ORDER_ID, REGISTRY, SAGA_ID

ROOT = Path(__file__).resolve().parents[3]
SPAN_STARTERS = {"start_as_current_span", "start_span"}


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    name: str


class Resolver:
    """Turns an attribute-name expression of one module into its string, when it is a constant."""

    def __init__(self, tree: ast.Module) -> None:
        self.modules: dict[str, str] = {}  # local name -> module
        self.names: dict[str, tuple[str, str]] = {}  # local name -> (module, attribute)
        self.constants: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = (node.module, alias.name)
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        self.constants[target.id] = node.value.value

    def resolve(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return self.constants[node.id]
            if node.id in self.names:
                module, attribute = self.names[node.id]
                return self._lookup(module, attribute)
            return None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = node.value.id
            if owner in self.names:
                module, attribute = self.names[owner]
                return self._lookup(f"{module}.{attribute}", node.attr)
            if owner in self.modules:
                return self._lookup(self.modules[owner], node.attr)
        return None

    @staticmethod
    @functools.cache
    def _lookup(module: str, attribute: str) -> str | None:
        try:
            value = getattr(importlib.import_module(module), attribute, None)
        except ImportError:
            return None
        return value if isinstance(value, str) else None


def _dict_keys(node: ast.expr | None, local_dicts: dict[str, list[ast.expr]]) -> list[ast.expr]:
    if isinstance(node, ast.Dict):
        return [k for k in node.keys if k is not None]
    if isinstance(node, ast.Name):
        return local_dicts.get(node.id, [])
    return []


def attribute_sites(path: Path) -> Iterator[tuple[Site | None, ast.expr]]:
    """Every expression used as a span attribute name in ``path`` (Site None: not a constant)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    resolver = Resolver(tree)
    # Dicts built in a variable and then handed to a span: `attributes = {...}; attributes[K] = v`.
    local_dicts: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    local_dicts.setdefault(target.id, []).extend(k for k in node.value.keys if k is not None)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    local_dicts.setdefault(target.value.id, []).append(target.slice)
    relative = str(path.relative_to(ROOT))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        keys: list[ast.expr] = []
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if name == "set_attribute" and node.args:
            keys = [node.args[0]]
        elif name == "set_attributes" and node.args:
            keys = _dict_keys(node.args[0], local_dicts)
        elif name in SPAN_STARTERS or name == "Link" or name == "add_event":
            positional = node.args[1] if name in {"Link", "add_event"} and len(node.args) > 1 else None
            keys = _dict_keys(keywords.get("attributes", positional), local_dicts)
        for key in keys:
            resolved = resolver.resolve(key)
            yield (Site(relative, key.lineno, resolved) if resolved is not None else None), key


@functools.cache
def scan() -> tuple[list[Site], list[str]]:
    sites: list[Site] = []
    unresolved: list[str] = []
    for folder in ("services", "shared"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for site, key in attribute_sites(path):
                if site is None:
                    unresolved.append(f"{path.relative_to(ROOT)}:{key.lineno}")
                else:
                    sites.append(site)
    return sites, unresolved


def test_every_suite_attribute_set_in_the_code_is_registered():
    sites, _ = scan()

    suite = [s for s in sites if s.name.startswith("oms.")]
    assert not [s for s in suite if s.name not in REGISTRY], "register these in shared/telemetry/attributes.py"
    # The scan sees through constants and module attributes (attributes.ORDER_ID), not just literals.
    assert {ORDER_ID, SAGA_ID} <= {s.name for s in suite}
    assert len({s.path for s in suite}) >= 5


def test_every_other_attribute_set_in_the_code_survives_redaction():
    sites, _ = scan()

    foreign = [s for s in sites if not s.name.startswith("oms.")]
    dropped = [s for s in foreign if s.name not in FOREIGN and s.name not in DROPPED_BY_DESIGN]
    assert not dropped, "add these to FOREIGN in shared/telemetry/attributes.py (if safe) or stop setting them"


def test_names_the_scan_cannot_read_are_few_and_known():
    _, unresolved = scan()

    # The baggage processor copies registered keys from a loop: checked by its own tests, not here.
    assert [u for u in unresolved if not u.startswith("shared/telemetry/")] == []


def test_the_scanner_finds_literals_constants_and_dicts(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "from shared.telemetry import attributes\n"
        "from shared.telemetry.attributes import SKU\n"
        "LOCAL = 'oms.local.thing'\n"
        "def f(span, tracer, key):\n"
        "    span.set_attribute('oms.literal', 1)\n"
        "    span.set_attribute(attributes.ORDER_ID, 1)\n"
        "    span.set_attribute(LOCAL, 1)\n"
        "    span.set_attribute(key, 1)\n"
        "    extra = {SKU: 'x'}\n"
        "    extra['rpc.method'] = 'y'\n"
        "    tracer.start_span('n', attributes=extra)\n"
        "    span.add_event('e', {'customer.name': 'z'})\n",
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = list(attribute_sites(source))
    finally:
        ROOT = saved

    names = sorted(site.name for site, _ in found if site is not None)
    assert names == sorted(["oms.literal", ORDER_ID, "oms.local.thing", "oms.sku", "rpc.method", "customer.name"])
    assert [key.lineno for site, key in found if site is None] == [8]
