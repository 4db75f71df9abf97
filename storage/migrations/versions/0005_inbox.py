"""inbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_received_at', ['received_at'], unique=False)

    op.execute("INSERT INTO inbox (key, kind, received_at) "
               "SELECT event_id, 'event_callback', received_at FROM processedevent")
    op.drop_table('processedevent')


def downgrade() -> None:
    op.create_table('processedevent',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.execute("INSERT INTO processedevent (event_id, received_at) "
               "SELECT key, received_at FROM inbox WHERE kind = 'event_callback'")
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_received_at')

    op.drop_table('inbox')
