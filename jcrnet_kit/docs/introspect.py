"""Reading the installed torch and MindSpore: the object at a dotted path, the arguments and defaults of a function
or class, every default the API map claims that the installed library contradicts, and every argument a row does not
discuss."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from typing import Dict, List, Sequence, Tuple

from jcrnet_kit.docs.topics import REQUIRED, TOPICS, UNKNOWN, Api, Topic


def resolve(dotted: str):
    """The object at a dotted path (``torch.nn.functional.leaky_relu``, ``torch.nn.Module.load_state_dict``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


_ARG_LINE = re.compile(r"^(\s+)(\w+) \(")
_DEFAULT = re.compile(r"Default: ``(.+?)``")


def _from_docstring(obj) -> Dict[str, object]:
    """Arguments of a builtin from its docstring: the first line that spells the call
    (``cat(tensors, dim=0, *, out=None) -> Tensor``), else the ``Args:`` section (``name (type): ... Default: ``x``.``),
    as MindSpore documents ``Tensor``; {} where the docstring has neither."""
    doc = (obj.__doc__ or "").strip()
    name = getattr(obj, "__name__", "")
    for line in doc.splitlines():
        line = line.strip()
        if name and line.startswith(name + "(") and ")" in line:
            return _parse_call(line[len(name) + 1: line.rindex(")")])
    return _from_args_section(doc)


def _parse_call(inside: str) -> Dict[str, object]:
    node = ast.parse(f"def f({inside}): pass").body[0].args
    out: Dict[str, object] = {}
    positional = node.posonlyargs + node.args
    padded = [None] * (len(positional) - len(node.defaults)) + list(node.defaults)
    for arg, default in list(zip(positional, padded)) + list(zip(node.kwonlyargs, node.kw_defaults)):
        out[arg.arg] = REQUIRED if default is None else ast.literal_eval(default)
    return out


def _from_args_section(doc: str) -> Dict[str, object]:
    lines = doc.splitlines()
    if "Args:" not in (line.strip() for line in lines):
        return {}
    start = [line.strip() for line in lines].index("Args:") + 1
    out: Dict[str, object] = {}
    indent, current = None, None
    for line in lines[start:]:
        if line.strip() and indent is not None and len(line) - len(line.lstrip()) < len(indent):
            break
        match = _ARG_LINE.match(line)
        if match and (indent is None or match.group(1) == indent):
            indent, current = match.group(1), match.group(2)
            out[current] = UNKNOWN
        if current is not None and (found := _DEFAULT.search(line)):
            try:
                out[current] = ast.literal_eval(found.group(1))
            except (ValueError, SyntaxError):
                out[current] = UNKNOWN
    return out


def _wrapped(function):
    """The function a decorator wraps (``functools.wraps`` or a closure over it), or None."""
    inner = getattr(function, "__wrapped__", None)
    if inner is not None:
        return inner
    for cell in getattr(function, "__closure__", None) or ():
        if inspect.isfunction(cell.cell_contents):
            return cell.cell_contents
    return None


_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def arguments(obj) -> Dict[str, object]:
    """Argument name -> default (``REQUIRED`` where there is none) of a function or of a class's constructor.

    Where the signature ends in ``*args`` / ``**kwargs`` (a decorator, or a class whose ``__new__`` takes them, as
    ``mindspore.Parameter``), the named arguments of the wrapped function and of ``__init__`` are read too."""
    function = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = dict(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return _from_docstring(obj)
    if any(p.kind in _VARIADIC for p in params.values()):
        for inner in (_wrapped(function), function if inspect.isclass(obj) else None):
            try:
                more = inspect.signature(inner).parameters if inner is not None else {}
            except (TypeError, ValueError):
                continue
            for name, p in more.items():
                if name != "self" and p.kind not in _VARIADIC:
                    params.setdefault(name, p)
    return {name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
            for name, p in params.items() if p.kind not in _VARIADIC and name != "self"}


def installed_default(api: str, arg: str):
    """The installed library's default of ``arg`` in ``api`` (``UNKNOWN`` where the signature does not list it)."""
    return arguments(resolve(api)).get(arg, UNKNOWN)


def default_mismatches(topics: Sequence[Topic] = TOPICS) -> List[str]:
    """Every default a row claims that the installed library contradicts, and every named API that is missing."""
    problems = []
    for topic in topics:
        for api in topic.apis:
            for dotted in filter(None, (api.torch, api.mindspore, api.mint)):
                try:
                    resolve(dotted)
                except (ImportError, AttributeError):
                    problems.append(f"{topic.title}: {dotted} does not exist")
            for arg in api.args:
                for dotted, name, claimed in zip((api.torch, api.mindspore, api.mint),
                                                 (arg.torch, arg.mindspore, arg.mint), arg.defaults):
                    if not name or claimed is UNKNOWN:
                        continue
                    found = installed_default(dotted, name)
                    if found is not claimed and found != claimed:
                        problems.append(f"{topic.title}: {dotted}({name}=...) defaults to {found!r}, the row says "
                                        f"{claimed!r}")
    return problems


def not_discussed(api: Api) -> Dict[str, List[str]]:
    """Per API of the row (torch, MindSpore, mint): the installed signature's arguments that the row's ``Arg`` entries
    do not mention, as ``name=default`` (``name`` where required)."""
    out: Dict[str, List[str]] = {}
    for position, dotted in enumerate((api.torch, api.mindspore, api.mint)):
        if not dotted:
            continue
        mentioned = {(arg.torch, arg.mindspore, arg.mint)[position] for arg in api.args}
        found = arguments(resolve(dotted))
        out[dotted] = [name if default is REQUIRED else f"{name}={_short_repr(default)}"
                       for name, default in found.items() if name not in mentioned]
    return out


def _short_repr(value) -> str:
    """A default as the page shows it: no module paths or object addresses (they differ between machines)."""
    if value is UNKNOWN:
        return "?"
    if inspect.ismodule(value):
        return value.__name__
    text = repr(value)
    if " at 0x" in text or " from '" in text:
        return f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def library_versions() -> Tuple[str, str]:
    import torch  # noqa: F401  (torch before MindSpore)
    import mindspore

    return torch.__version__.split("+")[0], mindspore.__version__
