"""Reading the installed torch and MindSpore: the object at a dotted path, the arguments and defaults of a function
or class, and every default the API map claims that the installed library contradicts."""

from __future__ import annotations

import ast
import importlib
import inspect
from typing import Dict, List, Sequence, Tuple

from jcrnet_kit.docs.topics import REQUIRED, TOPICS, UNKNOWN, Topic


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


def _from_docstring(obj) -> Dict[str, object]:
    """Arguments of a builtin from the first line of its docstring (``cat(tensors, dim=0, *, out=None) -> Tensor``)."""
    line = (obj.__doc__ or "").strip().splitlines()[0]
    inside = line[line.index("(") + 1: line.rindex(")")]
    node = ast.parse(f"def f({inside}): pass").body[0].args
    out: Dict[str, object] = {}
    positional = node.posonlyargs + node.args
    padded = [None] * (len(positional) - len(node.defaults)) + list(node.defaults)
    for arg, default in list(zip(positional, padded)) + list(zip(node.kwonlyargs, node.kw_defaults)):
        out[arg.arg] = REQUIRED if default is None else ast.literal_eval(default)
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


def arguments(obj) -> Dict[str, object]:
    """Argument name -> default (``REQUIRED`` where there is none) of a function or of a class's constructor."""
    function = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = dict(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return _from_docstring(obj)
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    if all(p.kind in variadic for p in params.values()) and _wrapped(function) is not None:
        params = dict(inspect.signature(_wrapped(function)).parameters)
        params.pop("self", None)
    return {name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
            for name, p in params.items() if p.kind not in variadic}


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


def library_versions() -> Tuple[str, str]:
    import torch  # noqa: F401  (torch before MindSpore)
    import mindspore

    return torch.__version__.split("+")[0], mindspore.__version__
