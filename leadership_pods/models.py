"""Every model module imported once, so ``Base.metadata`` is complete (Alembic, tests)."""

from .lti_tool import models as lti_models
from .passport_sync import models as passport_models  # noqa: F401
from .pods import models as pod_models
from .rubrics import models as rubric_models  # noqa: F401

__all__ = ["lti_models", "pod_models"]
