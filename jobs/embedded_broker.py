"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, polled often.

kombu polls SQL tables once a second by default, which was the whole submit-to-start
latency; transport options cannot change that here because this transport hands them
to ``create_engine``. Registered as ``lsdih-sqla+sqlite:///...``.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqlalchemy

SCHEME = "lsdih-sqla"


class Transport(kombu_sqlalchemy.Transport):
    polling_interval = 0.1


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"


def url(database: str) -> str:
    return f"{SCHEME}+sqlite:///{database}"
