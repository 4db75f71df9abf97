"""the portfolio's scores: value, feasibility and risk, 1 to 5 each, with who scored and when

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 12:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_SCORES = ('value_score', 'feasibility_score', 'risk_score')


def upgrade() -> None:
    with op.batch_alter_table('initiative', schema=None) as batch_op:
        for score in _SCORES:
            batch_op.add_column(sa.Column(score, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scored_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.drop_column('scored_at')
        batch_op.drop_column('scored_by')
        for score in reversed(_SCORES):
            batch_op.drop_column(score)
