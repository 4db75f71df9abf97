"""inbox payloads: the request itself, kept until it has been acted on

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:10:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.create_index('ix_inbox_pending', ['processed_at', 'claimed_at'], unique=False)
    op.execute("UPDATE inbox SET processed_at = received_at")  # recorded before payloads were kept: all acted on


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_pending')
        batch_op.drop_column('attempts')
        batch_op.drop_column('processed_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('body')
