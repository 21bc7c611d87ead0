"""Every model module imported once, so ``Base.metadata`` is complete (Alembic, tests)."""

from .lti_tool import models as lti_models  # noqa: F401

__all__ = ["lti_models"]
