"""The review signals of deals recomputed in SQL, for rows written in bulk (imports,
benchmarks, the migration that introduced them). The repository writes the same values from
the aggregate on every save; a property test holds the two equal."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

HELD = "('obtained', 'kept')"
LOST = "('broken', 'withdrawn')"

# One correlated subquery per signal; each walks one deal's rows through its index.
REFRESH = f"""
UPDATE deals SET
  last_buyer_obtained_at = (SELECT MAX(c.obtained_at) FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer'),
  highest_rung = (SELECT MAX(c.rung_level) FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer' AND c.status IN {HELD}),
  open_due_min = (SELECT MIN(c.due) FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer' AND c.status = 'obtained'),
  last_lost_at = (SELECT MAX(c.lost_at) FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer' AND c.status IN {LOST}),
  last_seller_created_at = (SELECT MAX(c.created_at) FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'seller'),
  last_buyer_created_at = (SELECT MAX(c.created_at) FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer'),
  newest_commitment = (SELECT c.number FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer' AND c.obtained_at IS NOT NULL
        AND c.rung_level IS NOT NULL
      ORDER BY c.obtained_at DESC, c.number DESC LIMIT 1),
  newest_rung = (SELECT c.rung_level FROM commitments c
      WHERE c.deal_id = deals.id AND c.party = 'buyer' AND c.obtained_at IS NOT NULL
        AND c.rung_level IS NOT NULL
      ORDER BY c.obtained_at DESC, c.number DESC LIMIT 1),
  streak_since = (SELECT CASE WHEN COUNT(*) = 3 AND SUM(x.cont) = 3 THEN MIN(x.on_date) END
      FROM (SELECT i.on_date,
                   CASE WHEN i.client_declined OR EXISTS (
                       SELECT 1 FROM commitments c WHERE c.deal_id = i.deal_id
                         AND c.interaction = i.number AND c.party = 'buyer'
                         AND c.status IN {HELD}) THEN 0 ELSE 1 END AS cont
            FROM interactions i WHERE i.deal_id = deals.id
            ORDER BY i.on_date DESC, i.number DESC LIMIT 3) x)
"""


def refresh_signals(conn: Connection, deal_ids: Iterable[int] | None = None) -> None:
    if deal_ids is None:
        conn.execute(text(REFRESH))
        return
    ids = list(deal_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(text(REFRESH + f" WHERE id IN ({', '.join(str(int(i)) for i in chunk)})"))
