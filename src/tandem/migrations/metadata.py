"""Every table, for Alembic. Importing the model modules registers them on ``Base.metadata``."""

from tandem.accounts import models as _accounts  # noqa: F401
from tandem.analytics import models as _analytics  # noqa: F401
from tandem.assist import models as _assist  # noqa: F401
from tandem.conversation import models as _conversation  # noqa: F401
from tandem.core import outbox as _outbox  # noqa: F401
from tandem.core.db import Base
from tandem.customers import models as _customers  # noqa: F401
from tandem.kb import models as _kb  # noqa: F401
from tandem.learning import models as _learning  # noqa: F401
from tandem.routing import models as _routing  # noqa: F401
from tandem.store import models as _store  # noqa: F401

target_metadata = Base.metadata
