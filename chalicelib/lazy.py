"""Imports paid on first use, so a cold start pays only for what its handler touches.

``import app`` registers every route, but one request needs one service: importing them
all (pynamodb and botocore, phonenumbers, the services' own modules) made every cold
start of every function pay ~2.5x an ``import boto3``. Route modules bind the modules
and classes their handler bodies use through these proxies::

    if TYPE_CHECKING:  # mypy sees the real module
        from chalicelib.campaigns import service
    else:
        service = lazy.module("chalicelib.campaigns.service")

The proxy imports on first attribute access, through the normal import system (its
per-module lock makes a first use from two threads safe) and never replaces what
``sys.modules`` holds, so ``monkeypatch.setattr("chalicelib.x.f", …)`` keeps working.
"""

from __future__ import annotations

import importlib
from typing import Any


class _Lazy:
    __slots__ = ("_lazy_attr", "_lazy_module", "_lazy_target")

    def __init__(self, module: str, attr: str | None) -> None:
        object.__setattr__(self, "_lazy_module", module)
        object.__setattr__(self, "_lazy_attr", attr)
        object.__setattr__(self, "_lazy_target", None)

    def _resolve(self) -> Any:
        target = object.__getattribute__(self, "_lazy_target")
        if target is None:
            target = importlib.import_module(object.__getattribute__(self, "_lazy_module"))
            attr = object.__getattribute__(self, "_lazy_attr")
            if attr is not None:
                target = getattr(target, attr)
            object.__setattr__(self, "_lazy_target", target)
        return target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolve(), name)

    def __setattr__(self, name: str, value: Any) -> None:  # monkeypatching the module
        setattr(self._resolve(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._resolve(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        module = object.__getattribute__(self, "_lazy_module")
        attr = object.__getattribute__(self, "_lazy_attr")
        return f"<lazy {module}{'.' + attr if attr else ''}>"


def module(name: str) -> Any:
    """The module ``name``, imported when first used."""
    return _Lazy(name, None)


def attr(module_name: str, name: str) -> Any:
    """``module_name.name`` (a class, a function), imported when first used."""
    return _Lazy(module_name, name)
