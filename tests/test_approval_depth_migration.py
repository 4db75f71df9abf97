"""Migration 0006 numbers the waivers of requests made before it, grouping rows by their shared terms."""

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from storage.db import MIGRATIONS, make_engine

NOW = "2026-03-04 05:06:00+00:00"


def _upgrade(engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_waivers_made_before_0006_are_numbered_by_their_terms(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        _upgrade(engine, "0005")
        with engine.begin() as db:
            db.execute(text("INSERT INTO workspace (id, team_id, created_at, nudge_weekday, nudge_hour, "
                            "ai_assist_enabled) VALUES (1, 'T1', :now, 0, 10, true)"), {"now": NOW})
            db.execute(text("INSERT INTO initiative (id, name, purpose, data_sources, integrations, business_owner_id, "
                            "technical_owner_id, risk_tier, channel_id, workspace_id, name_key, created_by, "
                            "created_at) VALUES (1, 'A', 'p', '', '', 'U2', 'U3', 'medium', 'C1', 1, 'a', 'U1', "
                            ":now)"), {"now": NOW})
            db.execute(text("INSERT INTO review (id, initiative_id, framework_version, status, channel_id, "
                            "created_at, updated_at) VALUES (1, 1, 'v', 'complete', 'C1', :now, :now)"), {"now": NOW})
            for request_id in (1, 2):
                db.execute(text("INSERT INTO releaserequest (id, initiative_id, review_id, requested_by, tier, "
                                "verdict, status, approvals_channel, pinned, created_at, expires_at) VALUES "
                                "(:id, 1, 1, 'U1', 'medium', 'Not ready', 'pending', 'C1', '{}', :now, :now)"),
                           {"id": request_id, "now": NOW})
            rows = [(1, "q1", "Pilot", "U3", "2099-03-01"), (1, "q2", "Vendor", "U2", "2099-03-01"),
                    (1, "q3", "Pilot", "U3", "2099-03-01"), (1, "q4", "Pilot", "U3", "2099-04-01"),
                    (2, "q1", "Other", "U3", "2099-03-01")]
            for request_id, question, reason, owner, due in rows:
                db.execute(text("INSERT INTO waiver (request_id, question_id, reason, owner_id, due_date, created_by, "
                                "created_at) VALUES (:r, :q, :reason, :owner, :due, 'U1', :now)"),
                           {"r": request_id, "q": question, "reason": reason, "owner": owner, "due": due, "now": NOW})
        _upgrade(engine, "0006")
        with engine.connect() as db:
            numbered = db.execute(text("SELECT request_id, question_id, number FROM waiver ORDER BY id")).all()
        assert [tuple(row) for row in numbered] == [(1, "q1", 1), (1, "q2", 2), (1, "q3", 1), (1, "q4", 3),
                                                    (2, "q1", 1)]
    finally:
        engine.dispose()
