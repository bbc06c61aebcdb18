"""Lending (借阅): request (申请) → verify (核实) → lend (借阅) → return (归还).

The seed's procedure: the applicant asks, the archive manager verifies the request,
hands the dossier over recording borrower and time, and checks it back in. Here:

    requested ──verify──► verified ──lend──► lent ──return──► returned
        └──────refuse───────┘ (either) ─► refused

``overdue`` is not stored: a ``lent`` loan past its due date (Asia/Shanghai) shows
``overdue: true`` and ``state_label`` 已逾期, so it can never be forgotten to be set.
Permissions (service/actors.py): ``loan.request`` (clerk), ``loan.approve`` (manager,
archivist: verify or refuse), ``loan.lend`` and ``loan.return`` (archivist).

Loans live in their own collection; a dossier has at most one open loan (requested,
verified or lent). Every state change is a whole-document replace guarded by the
loan's version number (no array operator), and one audit entry.
"""
from __future__ import annotations

import datetime as dt

from service.actors import Actor
from service.clock import SHANGHAI, utcnow
from service.records.errors import Destroyed, LoanStateError, RecordsInvalid
from service.storage.errors import NotFound

COLLECTION = "loans"
OPEN = ("requested", "verified", "lent")
LABELS = {"requested": "已申请", "verified": "已核实", "refused": "已拒绝", "lent": "借出中",
          "returned": "已归还", "overdue": "已逾期"}
# step → (states it may follow, new state, permission)
STEPS = {
    "verify": (("requested",), "verified", "loan.approve"),
    "refuse": (("requested", "verified"), "refused", "loan.approve"),
    "lend": (("verified",), "lent", "loan.lend"),
    "return": (("lent",), "returned", "loan.return"),
}
MAX_TEXT = 500
MAX_LOAN_DAYS = 366  # a loan due in 9999 could never be overdue, and would block destruction for good


class LoanBook:
    def __init__(self, repository, audit, clock=utcnow):
        self.repository, self.audit, self.clock = repository, audit, clock

    def request(self, archive_no: str, actor: Actor, purpose: str, due_date: str | None = None) -> dict:
        dossier = self.repository.get(archive_no)
        if dossier.get("status") == "destroyed":
            raise Destroyed(f"档案 {archive_no} 已销毁，不能借阅")
        if self.open_loan(archive_no):
            raise LoanStateError(f"档案 {archive_no} 已有未结束的借阅申请或正被借出，请待其归还后再申请")
        now = self.clock()
        purpose = _text(purpose, "purpose", "借阅用途", required=True)  # checked before a number is taken
        due_date = _future_date(due_date, now) if due_date else None
        number = f"JY-{now.astimezone(SHANGHAI).year}-{self.repository.next_sequence('loan_no'):06d}"
        loan = {"_id": number, "loan_no": number, "archive_no": archive_no, "version": 1,
                "state": "requested", "purpose": purpose, "due_date": due_date,
                "requested_by": actor.id, "requested_by_name": actor.name, "requested_at": now,
                "history": [_step("requested", actor, now)]}
        self.repository.put(COLLECTION, loan, None)
        self._audit(actor, "loan.request", loan)
        return view(loan, now)

    def advance(self, loan_no: str, step: str, actor: Actor, body: dict) -> dict:
        """Apply ``step`` (verify, refuse, lend, return); the caller has checked the permission."""
        loan = self.get(loan_no)
        allowed_from, new_state, _permission = STEPS[step]
        if loan["state"] not in allowed_from:
            raise LoanStateError(f"借阅单 {loan_no} 当前为“{LABELS[loan['state']]}”，不能{_STEP_LABELS[step]}")
        now = self.clock()
        changes = getattr(self, f"_{step}")(loan, actor, body, now)
        updated = {**loan, **changes, "state": new_state, "version": loan["version"] + 1,
                   "history": [*loan["history"], _step(new_state, actor, now)]}
        self.repository.put(COLLECTION, updated, loan["version"])
        self._audit(actor, f"loan.{step}", updated)
        return view(updated, now)

    def _verify(self, loan, actor, body, now) -> dict:
        return {"verified_by": actor.id, "verified_at": now}

    def _refuse(self, loan, actor, body, now) -> dict:
        return {"refused_by": actor.id, "refused_at": now,
                "refusal_reason": _text(body.get("reason"), "reason", "拒绝理由", required=True)}

    def _lend(self, loan, actor, body, now) -> dict:
        due = _future_date(body.get("due_date") or loan.get("due_date"), now, required=True)
        borrower = body.get("borrower") or loan.get("requested_by_name") or loan["requested_by"]
        return {"borrower": _text(borrower, "borrower", "借阅人", required=True), "due_date": due,
                "lent_by": actor.id, "lent_at": now}

    def _return(self, loan, actor, body, now) -> dict:
        return {"returned_by": actor.id, "returned_at": now,
                "returned_late": _is_overdue(loan, now)}

    # -- reading --------------------------------------------------------------
    def get(self, loan_no: str) -> dict:
        if not isinstance(loan_no, str):
            raise NotFound(str(loan_no), what="loan")
        found = next(self.repository.scan(COLLECTION, {"_id": loan_no}, limit=1), None)
        if found is None:
            raise NotFound(loan_no, what="loan")
        return found

    def view(self, loan_no: str) -> dict:
        return view(self.get(loan_no), self.clock())

    def register(self, archive_no: str) -> list[dict]:
        """The lending register of one dossier, oldest first."""
        now = self.clock()
        return [view(loan, now) for loan in self.repository.scan(COLLECTION, {"archive_no": archive_no})]

    def listing(self, state: str | None = None, overdue: bool = False) -> list[dict]:
        now = self.clock()
        equals = {"state": "lent" if overdue else state} if (state or overdue) else {}
        loans = [view(loan, now) for loan in self.repository.scan(COLLECTION, equals)]
        return [loan for loan in loans if loan["overdue"]] if overdue else loans

    def open_loan(self, archive_no: str) -> dict | None:
        for loan in self.repository.scan(COLLECTION, {"archive_no": archive_no}):
            if loan["state"] in OPEN:
                return loan
        return None

    def holder(self, archive_no: str) -> dict | None:
        """Who holds the paper dossier now (for the dossier view's ``loan`` field), or None."""
        loan = self.open_loan(archive_no)
        if loan is None or loan["state"] != "lent":
            return None
        shown = view(loan, self.clock())
        return {k: shown.get(k) for k in ("loan_no", "borrower", "lent_at", "due_date", "overdue", "state_label")}

    def redact(self, archive_no: str, actor: Actor) -> int:
        """On destruction: keep who/when of each loan, drop its free text (purpose, reasons)."""
        count = 0
        for loan in list(self.repository.scan(COLLECTION, {"archive_no": archive_no})):
            redacted = {**loan, "purpose": "（已随档案销毁）", "version": loan["version"] + 1}
            if loan.get("refusal_reason"):
                redacted["refusal_reason"] = "（已随档案销毁）"
            self.repository.put(COLLECTION, redacted, loan["version"])
            count += 1
        return count

    def _audit(self, actor, action, loan) -> None:
        self.audit.record(actor, action, loan["archive_no"], None,
                          {"loan_no": loan["loan_no"], "state": loan["state"], "due_date": loan.get("due_date")})


_STEP_LABELS = {"verify": "核实", "refuse": "拒绝", "lend": "借出", "return": "归还"}


def view(loan: dict, now: dt.datetime) -> dict:
    shown = {k: v for k, v in loan.items() if k != "_id"}
    shown["overdue"] = _is_overdue(loan, now)
    shown["state_label"] = LABELS["overdue" if shown["overdue"] else loan["state"]]
    return shown


def _is_overdue(loan: dict, now: dt.datetime) -> bool:
    today = now.astimezone(SHANGHAI).date().isoformat()
    return loan["state"] == "lent" and bool(loan.get("due_date")) and loan["due_date"] < today


def _future_date(value, now: dt.datetime, required: bool = False) -> str:
    """A due date (YYYY-MM-DD) from today to a year ahead, for the request and the lend step alike."""
    due = _date(value, "due_date", required=required)
    if due is None:
        return due
    today = now.astimezone(SHANGHAI).date()
    if due < today.isoformat():
        raise RecordsInvalid("归还日期不能早于今天", {"due_date": ["归还日期不能早于今天"]})
    if due > (today + dt.timedelta(days=MAX_LOAN_DAYS)).isoformat():
        message = f"借阅期限最长 {MAX_LOAN_DAYS} 天，归还日期不能晚于 {today + dt.timedelta(days=MAX_LOAN_DAYS)}"
        raise RecordsInvalid(message, {"due_date": [message]})
    return due


def _step(state: str, actor: Actor, at) -> dict:
    return {"state": state, "by": actor.id, "role": actor.role, "at": at}


def _text(value, key: str, label: str, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordsInvalid(f"请填写{label}", {key: [f"{label}：必填项，不能为空"]})
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise RecordsInvalid(f"{label}应为不超过 {MAX_TEXT} 字的文字", {key: [f"{label}格式不正确"]})
    return value.strip()


def _date(value, key: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat() if isinstance(value, str) else _bad_date(key)
    except ValueError:
        return _bad_date(key)


def _bad_date(key: str):
    raise RecordsInvalid("日期格式应为 YYYY-MM-DD", {key: ["日期格式应为 YYYY-MM-DD"]})
