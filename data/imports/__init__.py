"""Imports of county spreadsheets: templates, reading, validation, and all-or-nothing loading.

- :data:`KINDS`: the importable tables (``allocations``, ``projects``, ``disbursements``,
  ``loans``, ``risk_funds``, ``assets``, ``asset_income``, ``households``, ``measures``,
  ``dibao_standards``, ``scores``), each a template with Chinese headers (English accepted).
- :func:`run_import`: validate a CSV/XLSX file in one pass and load it in one transaction, or
  not at all; always audited.  :class:`ImportReport` says what was found and changed.
- :func:`template_bytes`: the template of a kind as XLSX (with a notes sheet) or CSV.
- :func:`data_version`: changes whenever an import wrote data, so caches can tell they are stale;
  :func:`data_state` adds the data generation, which any write moves.
- :func:`import_audit_frame`: the audit rows of import attempts; :func:`table_digest`: a row count
  and an order-independent digest per table, to show that an attempt wrote nothing.
"""

from .kinds import KINDS, Kind
from .pipeline import Change, ImportReport, data_state, data_version, import_audit_frame, run_import, table_digest
from .problems import RULES, Problem
from .templates import template_bytes, template_name

__all__ = ["KINDS", "RULES", "Change", "ImportReport", "Kind", "Problem", "data_state", "data_version", "import_audit_frame",
           "run_import", "table_digest", "template_bytes", "template_name"]
