"""go / no-go decisions, the adoption baseline with a north star and guardrails, the week's comparable numbers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_METRICS = ('north_star', 'guardrail_1', 'guardrail_2')


def upgrade() -> None:
    op.create_table('godecision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('for_date', sa.Date(), nullable=True),
    sa.Column('new_date', sa.Date(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('godecision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_godecision_initiative_id'), ['initiative_id'], unique=False)

    metric_columns = []
    for metric in _METRICS:
        last = 'baseline' if metric == 'north_star' else 'threshold'
        metric_columns += [
            sa.Column(f'{metric}_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
            sa.Column(f'{metric}_unit', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
            sa.Column(f'{metric}_direction', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
            sa.Column(f'{metric}_{last}', sa.Float(), nullable=True),
        ]
    op.create_table('baseline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('time_per_task_minutes', sa.Float(), nullable=True),
    sa.Column('volume_per_week', sa.Float(), nullable=True),
    sa.Column('error_rate', sa.Float(), nullable=True),
    sa.Column('cost_per_task', sa.Float(), nullable=True),
    *metric_columns,
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('baseline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baseline_initiative_id'), ['initiative_id'], unique=False)

    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tasks_handled', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('error_rate', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('cost_per_task', sa.Float(), nullable=True))
        for metric in _METRICS:
            batch_op.add_column(sa.Column(metric, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scorecard', schema=None) as batch_op:
        for metric in reversed(_METRICS):
            batch_op.drop_column(metric)
        batch_op.drop_column('cost_per_task')
        batch_op.drop_column('error_rate')
        batch_op.drop_column('tasks_handled')

    with op.batch_alter_table('baseline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_baseline_initiative_id'))

    op.drop_table('baseline')
    with op.batch_alter_table('godecision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_godecision_initiative_id'))

    op.drop_table('godecision')
