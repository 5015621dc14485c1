"""Registries for pluggable families (learners, losses, objectives, ...).

Modelled on timm's model registry: ``@registry.register("name")`` adds a
factory, ``registry.create("name", **kw)`` builds one, ``registry.names()``
lists them (CLI choices come from there). Unknown and duplicate names raise.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from stacker.exceptions import RegistryError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named family of factories.

    Parameters
    ----------
    kind : str
        What the family holds ("learner", "loss", ...), used in messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator adding ``factory`` under ``name``; a second use of a name raises."""

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise RegistryError(f"{self.kind} {name!r} is already registered")
            self._factories[name] = factory
            return factory

        return decorator

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name``; unknown names list the valid ones."""
        try:
            return self._factories[name]
        except KeyError:
            valid = ", ".join(self.names()) or "(none registered)"
            raise RegistryError(f"unknown {self.kind} {name!r}; choose one of: {valid}") from None

    def create(self, name: str, **kwargs: Any) -> T:
        """Build the ``name`` member with keyword arguments ``kwargs``."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories
