"""Re-encrypt every stored secret under the first HIREBRIDGE_ENCRYPTION_KEY, so that an old key can be dropped.

Rotation is: put the new key in front (``NEW,OLD``), restart every process, run ``hirebridge keys reencrypt``, then
remove ``OLD``. Each value is decrypted with whichever listed key wrote it and encrypted again with the first
(Fernet's ``MultiFernet.rotate``). Rows are rewritten in batches, each batch in its own short transaction, and a row
is only written when its ciphertext is still the one that was read, so a value changed meanwhile by the API (a
connection's new credentials, say) is never overwritten with the old one. Running it twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, and_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from hirebridge.hris.models import HrisAccessToken, HrisConnection
from hirebridge.orgs.models import Organization
from hirebridge.security import Cipher, DecryptionError
from hirebridge.webhooks.models import WebhookSubscription

# Every column that holds a value encrypted with the service's Cipher.
ENCRYPTED_COLUMNS: tuple[InstrumentedAttribute[str | None], ...] = (
    HrisConnection.credentials_encrypted,
    HrisAccessToken.value_encrypted,
    WebhookSubscription.secret_encrypted,
    Organization.result_writeback_headers_encrypted,
)
BATCH = 200


@dataclass
class Outcome:
    """What a run did, per ``table.column``: values rewritten, and values no listed key can read (left as they are)."""

    rewritten: dict[str, int]
    unreadable: dict[str, int]


def _stored(session: Session, column: InstrumentedAttribute[str | None]) -> list[tuple[tuple[object, ...], str]]:
    """(primary key, ciphertext) of each row that holds a value."""
    keys = list(column.class_.__table__.primary_key.columns)
    rows = session.execute(select(*keys, column).where(column.is_not(None))).all()
    return [(tuple(row[:-1]), row[-1]) for row in rows]


def count_values(sessions: sessionmaker[Session]) -> int:
    """How many encrypted values are stored (for a progress bar)."""
    with sessions() as session:
        return sum(len(_stored(session, column)) for column in ENCRYPTED_COLUMNS)


def reencrypt_all(
    sessions: sessionmaker[Session], cipher: Cipher, progress: Callable[[int], None] = lambda _n: None
) -> Outcome:
    """Rewrite each stored value under the first key; ``progress(n)`` is called after each batch of n values."""
    outcome = Outcome(rewritten={}, unreadable={})
    for column in ENCRYPTED_COLUMNS:
        table = column.class_.__table__
        keys = list(table.primary_key.columns)
        label = f"{table.name}.{column.key}"
        outcome.rewritten[label] = outcome.unreadable[label] = 0
        with sessions() as session:
            stored = _stored(session, column)
        for start in range(0, len(stored), BATCH):
            batch = stored[start : start + BATCH]
            with sessions() as session, session.begin():
                for key, token in batch:
                    try:
                        fresh = cipher.rotate(token)
                    except DecryptionError:
                        outcome.unreadable[label] += 1
                        continue
                    same_row = and_(*(k == v for k, v in zip(keys, key, strict=True)))
                    result = cast(
                        CursorResult[Any],
                        session.execute(
                            update(table).where(same_row, table.c[column.key] == token).values({column.key: fresh})
                        ),
                    )
                    outcome.rewritten[label] += result.rowcount or 0  # 0: changed meanwhile, already new
            progress(len(batch))
    return outcome
