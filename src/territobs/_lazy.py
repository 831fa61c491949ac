"""Lazy attribute access for packages with a flat public API (PEP 562).

``import territobs`` (or ``territobs.maps``) must stay fast: a package lists
its public names and the module defining each, and a name's module is only
imported on first access.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module-level ``__getattr__`` and ``__dir__`` of a package.

    Parameters
    ----------
    package : str
        The package's name, for error messages.
    exports : mapping of str to str
        Public name → module that defines it, or ``"module:attribute"`` when
        the public name differs from the module's own (an alias that keeps a
        function from sharing its name with a subpackage).
    namespace : dict
        The package's ``globals()``: a resolved name is cached there.

    Returns
    -------
    (__getattr__, __dir__)

    Examples
    --------
    >>> namespace = {}
    >>> getattr_, dir_ = lazy_exports("pkg", {"sqrt": "math"}, namespace)
    >>> getattr_("sqrt")(9.0), "sqrt" in namespace, dir_()
    (3.0, True, ['sqrt'])
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = module.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*exports, *(n for n in namespace if not n.startswith("_"))})

    return __getattr__, __dir__
