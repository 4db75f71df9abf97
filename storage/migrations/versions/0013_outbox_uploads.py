"""outbox uploads: a file (the weekly digest's chart) shared after the post it goes with

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('title')
        batch_op.drop_column('filename')
        batch_op.drop_column('file')
