"""adoption nudges

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:43:26.645499
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('userprofile',
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('nudgelog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('nudgelog', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nudgelog_initiative_id'), ['initiative_id'], unique=False)

    op.create_table('scorecard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('active_users', sa.Integer(), nullable=False),
    sa.Column('repeat_users', sa.Integer(), nullable=False),
    sa.Column('hours_saved', sa.Float(), nullable=True),
    sa.Column('cycle_time_minutes', sa.Float(), nullable=True),
    sa.Column('feedback_count', sa.Integer(), nullable=False),
    sa.Column('top_themes', sa.Text(), nullable=False),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_initiative_id'), ['initiative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecard_week_start'), ['week_start'], unique=False)

    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('snoozed_until', sa.Date(), nullable=True))

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nudge_weekday', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('nudge_hour', sa.Integer(), nullable=False, server_default='10'))



def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('nudge_hour')
        batch_op.drop_column('nudge_weekday')

    with op.batch_alter_table('initiative', schema=None) as batch_op:
        batch_op.drop_column('snoozed_until')
        batch_op.drop_column('retired_at')

    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_week_start'))
        batch_op.drop_index(batch_op.f('ix_scorecard_initiative_id'))

    op.drop_table('scorecard')
    with op.batch_alter_table('nudgelog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nudgelog_initiative_id'))

    op.drop_table('nudgelog')
    op.drop_table('userprofile')
