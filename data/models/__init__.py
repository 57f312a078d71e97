"""The typed ORM models, one module per family.  Importing this package registers every table."""

from .access import AppSession, AuditEntry, ImportBatch, User
from .assessment import Rubric, RubricItem, Score
from .assets import Asset, AssetIncome
from .base import Base, Points
from .funds import Allocation, CountyFinance, Disbursement, Project
from .households import AssistanceMeasure, DibaoStandard, Household
from .loans import Loan, RiskFundDeposit
from .regions import Region, RegionFlag
from .summaries import (
    AssetFormedDay, AssetFormedMonth, AssetFormedYear, AssetIncomeYear, AssetPlaceYear, AssetYear, CaseAgeDay, CaseAgeMonth, CaseAgeYear, ClockDay, ClockMonth,
    DataGeneration, DisbursementCategoryMonth, DisbursementDay, DisbursementMonth, FindingSnapshot, HouseholdMonthFlow, HouseholdStatusDay, HouseholdYearEnd,
    IncomeBandDay,
    IncomeBandMonth, IncomeBandYear, LoanMonthFlow, LoanTotalDay, LoanTotalMonthFlow, LoanTotalYearEnd, LoanYearEnd,
    MeasureMixDay,
    MeasureMixMonth, MeasureMixYear, MonitoringDay, MonitoringMonth, MonitoringYear, RecordCount, WaitDay, WaitMonth,
    WaitYear, WorkdayDue,
)

__all__ = [
    "Allocation", "AssetFormedDay", "AssetFormedMonth", "AssetFormedYear", "AssetIncomeYear", "AssetPlaceYear", "AssetYear", "AppSession", "Asset", "AssetIncome",
    "AssistanceMeasure",
    "AuditEntry", "Base", "CaseAgeDay", "CaseAgeMonth", "CaseAgeYear", "ClockDay", "ClockMonth", "CountyFinance",
    "DataGeneration", "DibaoStandard", "Disbursement", "DisbursementCategoryMonth", "DisbursementDay", "DisbursementMonth",
    "FindingSnapshot", "Household", "HouseholdMonthFlow", "HouseholdStatusDay", "HouseholdYearEnd", "ImportBatch", "IncomeBandDay",
    "IncomeBandMonth", "IncomeBandYear", "Loan", "LoanMonthFlow",
    "LoanTotalDay", "LoanTotalMonthFlow", "LoanTotalYearEnd", "LoanYearEnd", "MeasureMixDay", "MeasureMixMonth", "MeasureMixYear",
    "MonitoringDay", "MonitoringMonth", "MonitoringYear", "Points", "Project", "RecordCount", "Region", "RegionFlag",
    "RiskFundDeposit", "Rubric", "RubricItem", "Score", "User", "WaitDay", "WaitMonth", "WaitYear", "WorkdayDue",
]
