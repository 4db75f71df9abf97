"""review posts: checklists and summary kept up to date; where and whom a review asks; no awaited question

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'review_post',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['review_id'], ['review.id']),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('review_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_post_review_id'), ['review_id'], unique=False)
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asks_in', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='thread'))
        batch_op.add_column(sa.Column('routed', sa.JSON(), nullable=True))
        batch_op.drop_column('awaiting_question_id')
        batch_op.drop_column('awaiting')


def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('awaiting_question_id', sqlmodel.sql.sqltypes.AutoString(length=60),
                                      nullable=True))
        batch_op.drop_column('routed')
        batch_op.drop_column('asks_in')
    with op.batch_alter_table('review_post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_post_review_id'))
    op.drop_table('review_post')
