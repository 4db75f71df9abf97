"""approval depth: rationale, per-waiver decisions, change requests, a second person for waivers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('releaserequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waivers_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rationale', sa.Text(), nullable=True))

    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    _number_existing_waivers()
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)

    op.create_table('waiverdecision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['releaserequest.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('waiverdecision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiverdecision_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_waiverdecision_active', ['request_id', 'role', 'number'], unique=True, sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))

    op.create_table('changerequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['releaserequest.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('changerequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_changerequest_request_id'), ['request_id'], unique=False)


def _number_existing_waivers() -> None:
    """Waivers made before 0006 are numbered by their terms (reason, owner, due date), in the order given."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, request_id, reason, owner_id, due_date FROM waiver ORDER BY request_id, id")).all()
    numbers: dict[int, dict[tuple, int]] = {}
    for waiver_id, request_id, reason, owner_id, due_date in rows:
        mine = numbers.setdefault(request_id, {})
        number = mine.setdefault((reason, owner_id, str(due_date)), len(mine) + 1)
        bind.execute(sa.text("UPDATE waiver SET number = :number WHERE id = :id"), {"number": number, "id": waiver_id})


def downgrade() -> None:
    with op.batch_alter_table('changerequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_changerequest_request_id'))

    op.drop_table('changerequest')
    with op.batch_alter_table('waiverdecision', schema=None) as batch_op:
        batch_op.drop_index('uq_waiverdecision_active', sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_waiverdecision_request_id'))

    op.drop_table('waiverdecision')
    with op.batch_alter_table('waiver', schema=None) as batch_op:
        batch_op.drop_column('number')

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('rationale')

    with op.batch_alter_table('releaserequest', schema=None) as batch_op:
        batch_op.drop_column('waivers_by')
