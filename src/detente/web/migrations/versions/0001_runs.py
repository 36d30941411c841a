"""Run history: scenario texts by content hash, and runs.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``scenario_texts`` and ``runs``."""
    op.create_table(
        "scenario_texts",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("command", sa.String(40), nullable=False),
        sa.Column(
            "scenario_sha256",
            sa.String(64),
            sa.ForeignKey("scenario_texts.sha256"),
            nullable=False,
        ),
        sa.Column("edits", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("elapsed_s", sa.Float, nullable=False),
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_index("ix_runs_scenario_sha256", "runs", ["scenario_sha256"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("runs")
    op.drop_table("scenario_texts")
