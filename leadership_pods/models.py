"""Every model module imported once, so ``Base.metadata`` is complete (Alembic, tests)."""

from .lti_tool import models as lti_models
from .passport_sync import models as passport_models  # noqa: F401
from .pods import models as pod_models

__all__ = ["lti_models", "pod_models"]
