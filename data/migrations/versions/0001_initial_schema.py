"""Initial schema: regions, funds, loans, assets, households, assessment, users and audit.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 11:01:06.676885
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import fundwatch.data.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('county_code', sa.String(length=16), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_action', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_at', ['at'], unique=False)

    op.create_table('region',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=16), nullable=True),
    sa.Column('county_code', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('rural_population', sa.Integer(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.CheckConstraint("level IN ('city', 'county', 'township', 'village')", name=op.f('ck_region_level_vocab')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_region_county_code_region')),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], name=op.f('fk_region_parent_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index('ix_region_county_level', ['county_code', 'level'], unique=False)
        batch_op.create_index('ix_region_parent', ['parent_code', 'code'], unique=False)

    op.create_table('rubric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('max_points', fundwatch.data.models.base.Points(), nullable=False),
    sa.Column('bonus_cap', fundwatch.data.models.base.Points(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric')),
    sa.UniqueConstraint('name', name=op.f('uq_rubric_name'))
    )
    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('programme', sa.String(length=24), nullable=False),
    sa.Column('source_level', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('document_no', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('integrable', sa.Boolean(), nullable=False),
    sa.Column('integrated', sa.Boolean(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.CheckConstraint("programme IN ('special', 'integrated', 'linkage', 'medical', 'education', 'roads', 'industry')", name=op.f('ck_allocation_programme_vocab')),
    sa.CheckConstraint("source_level IN ('central', 'provincial', 'city', 'county', 'bond', 'donation', 'other')", name=op.f('ck_allocation_source_level_vocab')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_allocation_amount_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_allocation_county_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation')),
    sa.UniqueConstraint('county_code', 'year', 'document_no', 'programme', 'source_level', name=op.f('uq_allocation_county_code_year_document_no_programme_source_level'))
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index('ix_allocation_county_year', ['county_code', 'year', 'source_level', 'programme', 'amount_fen'], unique=False)
        batch_op.create_index('ix_allocation_year', ['year', 'county_code'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=True),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("role IN ('city_leader', 'county_official', 'analyst', 'data_admin')", name=op.f('ck_app_user_role_vocab')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_app_user_county_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('county_finance',
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('general_revenue_fen', sa.BigInteger(), nullable=False),
    sa.Column('poverty_budget_added_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('general_revenue_fen >= 0', name=op.f('ck_county_finance_general_revenue_fen_not_negative')),
    sa.CheckConstraint('poverty_budget_added_fen >= 0', name=op.f('ck_county_finance_poverty_budget_added_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_county_finance_county_code_region')),
    sa.PrimaryKeyConstraint('county_code', 'year', name=op.f('pk_county_finance'))
    )
    op.create_table('dibao_standard',
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('annual_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('annual_fen >= 0', name=op.f('ck_dibao_standard_annual_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_dibao_standard_county_code_region')),
    sa.PrimaryKeyConstraint('county_code', 'year', name=op.f('pk_dibao_standard'))
    )
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('township_code', sa.String(length=16), nullable=False),
    sa.Column('village_code', sa.String(length=16), nullable=False),
    sa.Column('head_name', sa.String(length=64), nullable=False),
    sa.Column('head_id_no', sa.String(length=18), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('labour_capable', sa.Boolean(), nullable=False),
    sa.Column('income_year', sa.Integer(), nullable=False),
    sa.Column('income_per_capita_fen', sa.BigInteger(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('cause', sa.String(length=24), nullable=True),
    sa.Column('channel', sa.String(length=24), nullable=True),
    sa.Column('found_on', sa.Date(), nullable=True),
    sa.Column('identified_on', sa.Date(), nullable=True),
    sa.Column('entered_on', sa.Date(), nullable=True),
    sa.Column('risk_eliminated_on', sa.Date(), nullable=True),
    sa.Column('returned_to_poverty_on', sa.Date(), nullable=True),
    sa.Column('food_clothing_ok', sa.Boolean(), nullable=True),
    sa.Column('schooling_ok', sa.Boolean(), nullable=True),
    sa.Column('medical_ok', sa.Boolean(), nullable=True),
    sa.Column('housing_ok', sa.Boolean(), nullable=True),
    sa.Column('water_ok', sa.Boolean(), nullable=True),
    sa.CheckConstraint("category IN ('unstable', 'marginal', 'sudden_hardship')", name=op.f('ck_household_category_vocab')),
    sa.CheckConstraint("cause IN ('illness', 'disability', 'education', 'disaster', 'accident', 'labour', 'industry', 'employment', 'other')", name=op.f('ck_household_cause_vocab')),
    sa.CheckConstraint("channel IN ('self_report', 'cadre_visit', 'big_data')", name=op.f('ck_household_channel_vocab')),
    sa.CheckConstraint('income_per_capita_fen >= 0', name=op.f('ck_household_income_per_capita_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_household_county_code_region')),
    sa.ForeignKeyConstraint(['township_code'], ['region.code'], name=op.f('fk_household_township_code_region')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_household_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household')),
    sa.UniqueConstraint('code', name=op.f('uq_household_code'))
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_county', ['county_code', 'found_on', 'risk_eliminated_on'], unique=False)
        batch_op.create_index('ix_household_village', ['village_code'], unique=False)

    op.create_table('loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_no', sa.String(length=40), nullable=False),
    sa.Column('programme', sa.String(length=32), nullable=False),
    sa.Column('bank', sa.String(length=40), nullable=False),
    sa.Column('borrower_type', sa.String(length=32), nullable=False),
    sa.Column('borrower_name', sa.String(length=64), nullable=False),
    sa.Column('borrower_id_no', sa.String(length=18), nullable=True),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('village_code', sa.String(length=16), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_pct', sa.Double(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('maturity_on', sa.Date(), nullable=False),
    sa.Column('repaid_on', sa.Date(), nullable=True),
    sa.Column('industry', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('interest_subsidy_fen', sa.BigInteger(), nullable=False),
    sa.Column('guarantee_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('guarantee_bearer', sa.String(length=16), nullable=False),
    sa.Column('guarantee_city_fen', sa.BigInteger(), nullable=False),
    sa.Column('guarantee_county_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("borrower_type IN ('poor_household', 'marginal_household', 'leading_enterprise', 'new_operator', 'village_collective', 'farmer')", name=op.f('ck_loan_borrower_type_vocab')),
    sa.CheckConstraint("guarantee_bearer IN ('city_county', 'city', 'county', 'borrower')", name=op.f('ck_loan_guarantee_bearer_vocab')),
    sa.CheckConstraint("industry IN ('vegetables', 'navel_orange', 'white_lotus', 'camellia_oil', 'livestock', 'tea', 'other')", name=op.f('ck_loan_industry_vocab')),
    sa.CheckConstraint("programme IN ('industry_credit', 'revitalisation_credit')", name=op.f('ck_loan_programme_vocab')),
    sa.CheckConstraint("status IN ('current', 'overdue', 'default', 'repaid')", name=op.f('ck_loan_status_vocab')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_loan_amount_fen_not_negative')),
    sa.CheckConstraint('guarantee_city_fen >= 0', name=op.f('ck_loan_guarantee_city_fen_not_negative')),
    sa.CheckConstraint('guarantee_county_fen >= 0', name=op.f('ck_loan_guarantee_county_fen_not_negative')),
    sa.CheckConstraint('guarantee_fee_fen >= 0', name=op.f('ck_loan_guarantee_fee_fen_not_negative')),
    sa.CheckConstraint('interest_subsidy_fen >= 0', name=op.f('ck_loan_interest_subsidy_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_loan_county_code_region')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_loan_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan')),
    sa.UniqueConstraint('contract_no', name=op.f('uq_loan_contract_no'))
    )
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.create_index('ix_loan_county', ['county_code', 'issued_on', 'repaid_on', 'amount_fen'], unique=False)
        batch_op.create_index('ix_loan_county_status', ['county_code', 'status', 'borrower_type', 'bank'], unique=False)
        batch_op.create_index('ix_loan_village', ['village_code'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('township_code', sa.String(length=16), nullable=True),
    sa.Column('village_code', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=False),
    sa.Column('end_year', sa.Integer(), nullable=True),
    sa.Column('in_pool', sa.Boolean(), nullable=False),
    sa.Column('pool_entry_no', sa.String(length=32), nullable=True),
    sa.CheckConstraint("category IN ('industry', 'roads', 'water', 'power', 'education', 'health', 'housing', 'employment', 'relocation', 'other', 'image_project', 'county_town_infra', 'office_building', 'staff_allowance', 'public_operating_cost')", name=op.f('ck_project_category_vocab')),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'completed', 'cancelled')", name=op.f('ck_project_status_vocab')),
    sa.CheckConstraint('budget_fen >= 0', name=op.f('ck_project_budget_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_project_county_code_region')),
    sa.ForeignKeyConstraint(['township_code'], ['region.code'], name=op.f('fk_project_township_code_region')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_project_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('code', name=op.f('uq_project_code'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index('ix_project_county', ['county_code', 'start_year', 'township_code', 'village_code'], unique=False)

    op.create_table('region_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=16), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('flag', sa.String(length=32), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=False),
    sa.Column('end_year', sa.Integer(), nullable=True),
    sa.Column('exit_date', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=128), nullable=True),
    sa.CheckConstraint("flag IN ('poverty_county', 'poor_village', 'deep_poor_village', 'listed_supervision', 'key_assistance_village', 'consolidation_village')", name=op.f('ck_region_flag_flag_vocab')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_region_flag_county_code_region')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_region_flag_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region_flag'))
    )
    with op.batch_alter_table('region_flag', schema=None) as batch_op:
        batch_op.create_index('ix_region_flag_county', ['county_code', 'flag', 'start_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_flag_region_code'), ['region_code'], unique=False)

    op.create_table('risk_fund_deposit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('programme', sa.String(length=32), nullable=False),
    sa.Column('bank', sa.String(length=40), nullable=False),
    sa.Column('deposited_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('document_no', sa.String(length=64), nullable=True),
    sa.CheckConstraint("programme IN ('industry_credit', 'revitalisation_credit')", name=op.f('ck_risk_fund_deposit_programme_vocab')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_risk_fund_deposit_amount_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_risk_fund_deposit_county_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_fund_deposit'))
    )
    with op.batch_alter_table('risk_fund_deposit', schema=None) as batch_op:
        batch_op.create_index('ix_risk_fund_county', ['county_code', 'deposited_on', 'programme', 'amount_fen'], unique=False)

    op.create_table('rubric_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('parent_code', sa.String(length=32), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('max_points', fundwatch.data.models.base.Points(), nullable=False),
    sa.Column('is_bonus', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('group', 'manual', 'ratio', 'step', 'per_occurrence', 'deduction', 'veto')", name=op.f('ck_rubric_item_kind_vocab')),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubric.id'], name=op.f('fk_rubric_item_rubric_id_rubric'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_item')),
    sa.UniqueConstraint('rubric_id', 'code', name=op.f('uq_rubric_item_rubric_id_code'))
    )
    op.create_table('score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('points', fundwatch.data.models.base.Points(), nullable=True),
    sa.Column('raw_value', sa.Double(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('assessor', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_score_county_code_region')),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubric.id'], name=op.f('fk_score_rubric_id_rubric'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score')),
    sa.UniqueConstraint('rubric_id', 'unit_code', 'year', 'item_code', name=op.f('uq_score_rubric_id_unit_code_year_item_code'))
    )
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_county_code'), ['county_code'], unique=False)

    op.create_table('asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('village_code', sa.String(length=16), nullable=True),
    sa.Column('asset_class', sa.String(length=16), nullable=False),
    sa.Column('subtype', sa.String(length=16), nullable=False),
    sa.Column('value_fen', sa.BigInteger(), nullable=False),
    sa.Column('formed_on', sa.Date(), nullable=False),
    sa.Column('owner', sa.String(length=16), nullable=True),
    sa.Column('custodian', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.CheckConstraint("asset_class IN ('public_welfare', 'operating', 'household')", name=op.f('ck_asset_asset_class_vocab')),
    sa.CheckConstraint("owner IN ('collective', 'household', 'other')", name=op.f('ck_asset_owner_vocab')),
    sa.CheckConstraint("status IN ('in_use', 'idle', 'damaged', 'disposed')", name=op.f('ck_asset_status_vocab')),
    sa.CheckConstraint("subtype IN ('road', 'water_supply', 'school', 'clinic', 'pv_station', 'workshop', 'orchard', 'greenhouse', 'cold_storage', 'housing', 'livestock', 'equipment')", name=op.f('ck_asset_subtype_vocab')),
    sa.CheckConstraint('value_fen >= 0', name=op.f('ck_asset_value_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_asset_county_code_region')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_asset_project_id_project')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_asset_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset')),
    sa.UniqueConstraint('code', name=op.f('uq_asset_code'))
    )
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.create_index('ix_asset_county', ['county_code', 'asset_class', 'status', 'value_fen'], unique=False)
        batch_op.create_index('ix_asset_project', ['project_id'], unique=False)
        batch_op.create_index('ix_asset_village', ['village_code'], unique=False)

    op.create_table('assistance_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.CheckConstraint("kind IN ('industry', 'employment', 'dibao', 'tekun', 'temporary_relief', 'medical', 'education', 'housing')", name=op.f('ck_assistance_measure_kind_vocab')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_assistance_measure_amount_fen_not_negative')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_assistance_measure_county_code_region')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_assistance_measure_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_measure')),
    sa.UniqueConstraint('household_id', 'kind', 'started_on', name=op.f('uq_assistance_measure_household_id_kind_started_on'))
    )
    with op.batch_alter_table('assistance_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_measure_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_measure_county', ['county_code', 'started_on'], unique=False)

    op.create_table('disbursement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=True),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('source_level', sa.String(length=16), nullable=False),
    sa.Column('programme', sa.String(length=24), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('ym', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('voucher_no', sa.String(length=40), nullable=False),
    sa.CheckConstraint("programme IN ('special', 'integrated', 'linkage', 'medical', 'education', 'roads', 'industry')", name=op.f('ck_disbursement_programme_vocab')),
    sa.CheckConstraint("source_level IN ('central', 'provincial', 'city', 'county', 'bond', 'donation', 'other')", name=op.f('ck_disbursement_source_level_vocab')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_disbursement_amount_fen_not_negative')),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_disbursement_allocation_id_allocation')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_disbursement_county_code_region')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_disbursement_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement')),
    sa.UniqueConstraint('county_code', 'voucher_no', name=op.f('uq_disbursement_county_code_voucher_no'))
    )
    with op.batch_alter_table('disbursement', schema=None) as batch_op:
        batch_op.create_index('ix_disbursement_allocation', ['allocation_id'], unique=False)
        batch_op.create_index('ix_disbursement_pace', ['county_code', 'year', 'ym', 'source_level', 'amount_fen'], unique=False)
        batch_op.create_index('ix_disbursement_project', ['project_id', 'paid_on'], unique=False)
        batch_op.create_index('ix_disbursement_year_pace', ['year', 'ym', 'source_level', 'county_code', 'amount_fen'], unique=False)

    op.create_table('asset_income',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('income_fen', sa.BigInteger(), nullable=False),
    sa.Column('to_collective_fen', sa.BigInteger(), nullable=False),
    sa.Column('to_households_fen', sa.BigInteger(), nullable=False),
    sa.Column('to_other_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('income_fen >= 0', name=op.f('ck_asset_income_income_fen_not_negative')),
    sa.CheckConstraint('to_collective_fen >= 0', name=op.f('ck_asset_income_to_collective_fen_not_negative')),
    sa.CheckConstraint('to_households_fen >= 0', name=op.f('ck_asset_income_to_households_fen_not_negative')),
    sa.CheckConstraint('to_other_fen >= 0', name=op.f('ck_asset_income_to_other_fen_not_negative')),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_asset_income_asset_id_asset')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_asset_income_county_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_income')),
    sa.UniqueConstraint('asset_id', 'year', name=op.f('uq_asset_income_asset_id_year'))
    )
    with op.batch_alter_table('asset_income', schema=None) as batch_op:
        batch_op.create_index('ix_asset_income_county', ['county_code', 'year'], unique=False)


    _audit_log_append_only()


def _audit_log_append_only() -> None:
    """The audit log is append-only: the database itself refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('asset_income', schema=None) as batch_op:
        batch_op.drop_index('ix_asset_income_county')

    op.drop_table('asset_income')
    with op.batch_alter_table('disbursement', schema=None) as batch_op:
        batch_op.drop_index('ix_disbursement_year_pace')
        batch_op.drop_index('ix_disbursement_project')
        batch_op.drop_index('ix_disbursement_pace')
        batch_op.drop_index('ix_disbursement_allocation')

    op.drop_table('disbursement')
    with op.batch_alter_table('assistance_measure', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_county')
        batch_op.drop_index(batch_op.f('ix_assistance_measure_household_id'))

    op.drop_table('assistance_measure')
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.drop_index('ix_asset_village')
        batch_op.drop_index('ix_asset_project')
        batch_op.drop_index('ix_asset_county')

    op.drop_table('asset')
    with op.batch_alter_table('score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_county_code'))

    op.drop_table('score')
    op.drop_table('rubric_item')
    with op.batch_alter_table('risk_fund_deposit', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_fund_county')

    op.drop_table('risk_fund_deposit')
    with op.batch_alter_table('region_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_flag_region_code'))
        batch_op.drop_index('ix_region_flag_county')

    op.drop_table('region_flag')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_county')

    op.drop_table('project')
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_village')
        batch_op.drop_index('ix_loan_county_status')
        batch_op.drop_index('ix_loan_county')

    op.drop_table('loan')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_village')
        batch_op.drop_index('ix_household_county')

    op.drop_table('household')
    op.drop_table('dibao_standard')
    op.drop_table('county_finance')
    op.drop_table('app_user')
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index('ix_allocation_year')
        batch_op.drop_index('ix_allocation_county_year')

    op.drop_table('allocation')
    op.drop_table('rubric')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index('ix_region_parent')
        batch_op.drop_index('ix_region_county_level')

    op.drop_table('region')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_at')
        batch_op.drop_index('ix_audit_action')

    op.drop_table('audit_log')
