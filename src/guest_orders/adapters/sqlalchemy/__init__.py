"""Reference storage adapter on SQLAlchemy 2 Core (the ``sqlalchemy`` extra).

SQLite is the embedded default; PostgreSQL (psycopg 3, the ``postgresql`` extra) is the
production target. The one-active rule is kept by the database (a partial unique index),
so it holds across processes and threads::

    from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine

    engine = make_engine("sqlite:///guest_orders.sqlite3")
    create_schema(engine)
    store = SqlAlchemyStore(engine)

See ``docs/how-to/sqlalchemy.md``, also for mapping the ports onto existing tables.
"""

try:
    import sqlalchemy as _sqlalchemy  # noqa: F401  # fail early, with a helpful message
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "guest_orders.adapters.sqlalchemy needs SQLAlchemy: "
        "pip install 'guest_orders[sqlalchemy]' (or '[postgresql]' for PostgreSQL)"
    ) from error

from guest_orders.adapters.sqlalchemy._engine import make_engine
from guest_orders.adapters.sqlalchemy._repositories import (
    IMAGE_URL_PREFIX,
    SqlAlchemyAddressRepository,
    SqlAlchemyCancellationReasonRepository,
    SqlAlchemyCancellationRequestRepository,
    SqlAlchemyEasyReturnShippingCompanyRepository,
    SqlAlchemyIdempotencyRepository,
    SqlAlchemyImageStore,
    SqlAlchemyOrderRepository,
    SqlAlchemyOutbox,
    SqlAlchemyRepositories,
)
from guest_orders.adapters.sqlalchemy._schema import (
    ACTIVE_STATUSES,
    IDEMPOTENCY_KEY_CONSTRAINT,
    ONE_ACTIVE_INDEX,
    addresses,
    cancellation_reasons,
    cancellation_request_images,
    cancellation_requests,
    create_schema,
    easy_return_shipping_companies,
    idempotency_keys,
    images,
    metadata,
    order_items,
    orders,
    outbox,
)
from guest_orders.adapters.sqlalchemy._store import ImageStoreFactory, SqlAlchemyStore
from guest_orders.adapters.sqlalchemy._types import ExactDecimal, UtcDateTime

__all__ = [
    "ACTIVE_STATUSES",
    "IDEMPOTENCY_KEY_CONSTRAINT",
    "IMAGE_URL_PREFIX",
    "ONE_ACTIVE_INDEX",
    "ExactDecimal",
    "ImageStoreFactory",
    "SqlAlchemyAddressRepository",
    "SqlAlchemyCancellationReasonRepository",
    "SqlAlchemyCancellationRequestRepository",
    "SqlAlchemyEasyReturnShippingCompanyRepository",
    "SqlAlchemyIdempotencyRepository",
    "SqlAlchemyImageStore",
    "SqlAlchemyOrderRepository",
    "SqlAlchemyOutbox",
    "SqlAlchemyRepositories",
    "SqlAlchemyStore",
    "UtcDateTime",
    "addresses",
    "cancellation_reasons",
    "cancellation_request_images",
    "cancellation_requests",
    "create_schema",
    "easy_return_shipping_companies",
    "idempotency_keys",
    "images",
    "make_engine",
    "metadata",
    "order_items",
    "orders",
    "outbox",
]
