"""ai assist

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:54:33.740008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('modelcall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('initiative_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('prompt_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('modelcall', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modelcall_initiative_id'), ['initiative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_modelcall_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('releaserequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preread', sa.JSON(), nullable=True))

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ai_assist_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))



def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('ai_assist_enabled')

    with op.batch_alter_table('releaserequest', schema=None) as batch_op:
        batch_op.drop_column('preread')

    with op.batch_alter_table('modelcall', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_modelcall_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_modelcall_initiative_id'))

    op.drop_table('modelcall')
