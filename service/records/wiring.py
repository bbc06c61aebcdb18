"""Builds the records-management services for one app or one CLI command."""
from __future__ import annotations

from dataclasses import dataclass

from service.records.audit import AuditLog
from service.records.copies import OfficialCopies
from service.records.lending import LoanBook
from service.records.retention import Retention


@dataclass
class Records:
    audit: AuditLog
    loans: LoanBook
    retention: Retention
    copies: OfficialCopies


def build_records(repository, dossiers) -> Records:
    """Wire the audit log into ``dossiers`` (a DossierService) and build the rest around it."""
    audit = AuditLog(repository)
    dossiers.audit = audit
    loans = LoanBook(repository, audit)
    return Records(audit, loans, Retention(repository, dossiers, audit, loans), OfficialCopies(repository, audit))
