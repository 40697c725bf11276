"""The service's Flask class: Flask with what it asks at every request answered once."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask


@lru_cache(maxsize=1024)
def _is_coroutine_function(func: Callable[..., Any]) -> bool:
    return iscoroutinefunction(func)


class ZiFlask(Flask):
    """Flask asks of every hook, error handler and view it calls whether it is a coroutine
    function (about twenty times per API request, ~5 % of a request's CPU outside its own
    work); a function's answer does not change, so it is kept, by function (a method's
    ``__func__``: views are bound anew at every request)."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        target = getattr(func, "__func__", func)
        try:
            is_coroutine = _is_coroutine_function(target)
        except TypeError:  # not hashable: asked as Flask does
            is_coroutine = iscoroutinefunction(target)
        return self.async_to_sync(func) if is_coroutine else func
