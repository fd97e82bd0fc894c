"""Imports every model module so that ``Base.metadata`` is complete (for Alembic and the app)."""

from hirebridge.assessments import models as assessments_models
from hirebridge.ats import models as ats_models
from hirebridge.console import models as console_models
from hirebridge.core import models as core_models
from hirebridge.db.base import Base
from hirebridge.delivery import models as delivery_models
from hirebridge.hris import models as hris_models
from hirebridge.orgs import models as orgs_models
from hirebridge.webhooks import models as webhooks_models

__all__ = [
    "Base",
    "assessments_models",
    "ats_models",
    "console_models",
    "core_models",
    "delivery_models",
    "hris_models",
    "orgs_models",
    "webhooks_models",
]
