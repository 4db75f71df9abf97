"""release approvals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:32:02.388100
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('releaserequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('approvals_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('pinned', sa.JSON(), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stale_since', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('releaserequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_releaserequest_initiative_id'), ['initiative_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('approver_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['releaserequest.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_decision_active_role', ['request_id', 'role'], unique=True, sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))

    op.create_table('requestmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['releaserequest.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('requestmessage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requestmessage_request_id'), ['request_id'], unique=False)

    op.create_table('waiver',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('owner_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['releaserequest.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiver_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiver_request_id'))

    op.drop_table('waiver')
    with op.batch_alter_table('requestmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requestmessage_request_id'))

    op.drop_table('requestmessage')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('uq_decision_active_role', sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_decision_request_id'))

    op.drop_table('decision')
    with op.batch_alter_table('releaserequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_releaserequest_initiative_id'))

    op.drop_table('releaserequest')
