"""Every rule a service enforces behind the admin UI has plain words in every language.

The UI shows a refused action in the coordinator's language through ``rule_words`` (the
exception's ``rule``); a refusal without one would fall back to the service's English detail.
So every raise of a domain error in the service functions the admin UI calls, and in every
service function those call in turn, must name a rule the UI has words for, and the Chinese
catalogue must translate every one of them.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from gateway.admin import rule_words
from gateway.services import errors

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ROOT / "gateway" / "admin"
# refusals the UI words itself: its own not-found page, the sign-in form, unreadable keys
WORDED_ELSEWHERE = {"NotFound", "SignInFailed", "JwksUnavailable"}
DOMAIN_ERRORS = {name for name, value in vars(errors).items()
                 if isinstance(value, type) and issubclass(value, errors.DomainError)}


def _service_imports(tree: ast.Module) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """What a module imports from service modules: names bound to modules (``from
    gateway.services.x import y``, y a module), and other names by (module, name)."""
    modules, names = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "gateway.services"):
            for name in node.names:
                module = f"{node.module}.{name.name}"
                try:
                    importlib.import_module(module)
                except ModuleNotFoundError:  # a function or class of that module
                    names[name.asname or name.name] = (node.module, name.name)
                    continue
                modules[name.asname or name.name] = module
    return modules, names


@cache
def _parsed(module: str) -> tuple[Path, dict[str, ast.FunctionDef], dict[str, str],
                                  dict[str, tuple[str, str]]]:
    path = Path(importlib.import_module(module).__file__)
    tree = ast.parse(path.read_text())
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    return path, functions, *_service_imports(tree)


def _called(node: ast.AST, aliases: dict[str, str], module: str,
            functions: dict[str, ast.FunctionDef]) -> set[tuple[str, str]]:
    """The service functions ``node`` calls: ``alias.function(...)`` or a function of its own
    module by name."""
    called = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
                and call.func.value.id in aliases):
            called.add((aliases[call.func.value.id], call.func.attr))
        elif isinstance(call.func, ast.Name) and call.func.id in functions:
            called.add((module, call.func.id))
    return called


def _admin_calls() -> set[tuple[str, str]]:
    """Every (service module, function) the admin UI calls, directly or through services."""
    todo = set()
    for path in ADMIN.glob("*.py"):
        tree = ast.parse(path.read_text())
        todo |= _called(tree, _service_imports(tree)[0], "", {})
    seen: set[tuple[str, str]] = set()
    while todo:
        module, name = todo.pop()
        _path, functions, aliases, imported = _parsed(module)
        if name in imported:  # a function the module re-exports or uses from another
            todo.add(imported[name])
            continue
        if (module, name) in seen or name not in functions:
            continue
        seen.add((module, name))
        todo |= _called(functions[name], aliases, module, {**functions, **imported})
    return seen


def _unworded_raises() -> list[str]:
    found = []
    for module, name in sorted(_admin_calls()):
        path, functions, _aliases, _imported = _parsed(module)
        for node in ast.walk(functions[name]):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and isinstance(node.exc.func, ast.Name)):
                continue
            error = node.exc.func.id
            if error not in DOMAIN_ERRORS or error in WORDED_ELSEWHERE:
                continue
            rule = next((k.value for k in node.exc.keywords if k.arg == "rule"), None)
            if not (isinstance(rule, ast.Constant) and rule.value in rule_words.RULES):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {error}")
    return found


def test_the_walk_reaches_the_services_behind_the_admin_ui():
    calls = _admin_calls()
    assert ("gateway.services.network.clients", "register") in calls
    assert ("gateway.services.privacy.breakglass", "review") in calls  # via release_reviews
    assert ("gateway.services.coordination.reports.period", "resolve") in calls


def test_every_refusal_behind_the_admin_ui_names_a_worded_rule():
    assert _unworded_raises() == []


def test_every_rule_is_translated_into_chinese():
    with (ROOT / "gateway/translations/zh/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = read_po(po)
    for rule, words in rule_words.RULES.items():
        message = catalogue.get(words._args[0])
        assert message is not None and message.string and not message.fuzzy, rule
