"""edited and deleted thread replies: the reply an answer or evidence came from, and when evidence was withdrawn

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('message_ts')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('message_ts')
