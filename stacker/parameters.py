"""scikit-learn style parameters for the pluggable families (level-2 learners, decision rules).

Every keyword-only argument of ``__init__`` is a parameter, stored as an
attribute of the same name; :class:`Parameters` reads them back from the
signature, so a family member declares each parameter (and its default) once.
"""

from __future__ import annotations

import inspect


class Parameters:
    """Mixin: ``param_names``, ``defaults`` and ``get_params`` from ``__init__``'s keyword-only arguments.

    ``_shared_params`` names keyword arguments that belong to the family's base
    class rather than to the member (e.g. a rule's metric), left out of all three.
    """

    _shared_params: tuple[str, ...] = ()

    @classmethod
    def param_names(cls) -> list[str]:
        """The member's own keyword parameters, in signature order."""
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values()
                if p.kind is p.KEYWORD_ONLY and p.name not in cls._shared_params]

    @classmethod
    def defaults(cls) -> dict:
        """Default value of each of the member's own parameters."""
        signature = inspect.signature(cls.__init__)
        return {name: signature.parameters[name].default for name in cls.param_names()}

    def get_params(self) -> dict:
        """Current values of the member's own parameters (what it was built with)."""
        return {name: getattr(self, name) for name in self.param_names()}
