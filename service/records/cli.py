"""``dossier audit|loans|retention|destroy|certificate``: records management from the command line.

The operator acts under a role (``--role``, checked against service/actors.py like an
API key) and is recorded in the audit trail as ``cli:<login>``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import click
import orjson
from rich.cells import cell_len

from service.actors import ROLES, Actor, command_line_actor
from service.clock import SHANGHAI
from service.records.certificate import render_certificate
from service.records.errors import RecordsError
from service.records.lending import STEPS
from service.storage.errors import StorageError

LOAN_COLUMNS = ("借阅编号", "档案编号", "状态", "借阅人", "应还日期")
DUE_COLUMNS = ("档案编号", "模板", "期满日期", "冻结")
AUDIT_COLUMNS = ("序号", "时间", "操作人", "角色", "操作", "档案编号", "版本", "详情")


def register(main: click.Group, open_services) -> None:
    """Add the records commands to the ``dossier`` group; ``open_services`` yields service.services.Services."""

    @contextlib.contextmanager
    def records():
        with open_services() as services:
            try:
                yield services.records
            except (RecordsError, StorageError) as exc:
                raise click.ClickException(getattr(exc, "message", str(exc))) from None

    @main.group()
    def audit():
        """The audit trail (可追溯性)."""

    @audit.command("verify")
    def audit_verify():
        """Check the hash chain; exit 1 naming the first missing or edited entry."""
        with records() as rec:
            result = rec.audit.verify()
        click.echo(f"{result.message}（共 {result.count} 条有效）")
        if not result.ok:
            raise SystemExit(1)

    @audit.command("list")
    @click.option("--dossier")
    @click.option("--action")
    @click.option("--limit", type=int, default=100, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per entry and line (JSON Lines), for scripts.")
    def audit_list(dossier, action, limit, as_json):
        """The oldest LIMIT entries, one line each, times in Beijing time."""
        with records() as rec:
            entries = rec.audit.entries({"archive_no": dossier, "action": action}, limit=limit)
        if as_json:
            for entry in entries:
                click.echo(orjson.dumps({**entry, "at": _beijing(entry["at"]).isoformat()}).decode())
            return
        for line in aligned(AUDIT_COLUMNS, map(_audit_row, entries)):
            click.echo(line)

    @main.group()
    def loans():
        """Lending (借阅): request → verify → lend → return."""

    @loans.command("request")
    @click.argument("archive_no")
    @click.option("--purpose", required=True)
    @click.option("--due", "due_date")
    @role_option("clerk")
    def loans_request(archive_no, purpose, due_date, role):
        actor = permitted_actor(role, "loan.request")
        with records() as rec:
            loan = rec.loans.request(archive_no, actor, purpose, due_date)
        click.echo(f"{loan['loan_no']}\t{loan['state_label']}")

    @loans.command("step")
    @click.argument("loan_no")
    @click.argument("step", type=click.Choice(list(STEPS)))
    @click.option("--borrower")
    @click.option("--due", "due_date")
    @click.option("--reason")
    @role_option()
    def loans_step(loan_no, step, borrower, due_date, reason, role):
        """verify | refuse --reason | lend --borrower --due | return"""
        actor = permitted_actor(role, STEPS[step][2])
        body = {k: v for k, v in {"borrower": borrower, "due_date": due_date, "reason": reason}.items() if v}
        with records() as rec:
            loan = rec.loans.advance(loan_no, step, actor, body)
        click.echo(f"{loan['loan_no']}\t{loan['state_label']}")

    @loans.command("list")
    @click.option("--dossier")
    @click.option("--overdue", is_flag=True)
    def loans_list(dossier, overdue):
        with records() as rec:
            found = rec.loans.register(dossier) if dossier else rec.loans.listing(None, overdue)
        rows = [(loan["loan_no"], loan["archive_no"], loan["state_label"], loan.get("borrower") or "",
                 loan.get("due_date") or "") for loan in found]
        _echo_table(LOAN_COLUMNS, rows, "没有借阅记录")

    @main.group()
    def retention():
        """Retention periods and legal holds (保管期限)."""

    @retention.command("due")
    def retention_due():
        with records() as rec:
            rows = [(item["archive_no"], item["template"], str(item["expires_on"]), "冻结" if item["hold"] else "")
                    for item in rec.retention.due()]
        _echo_table(DUE_COLUMNS, rows, "没有保管期满的档案")

    @retention.command("hold")
    @click.argument("archive_no")
    @click.option("--reason")
    @click.option("--release", is_flag=True)
    @role_option()
    def retention_hold(archive_no, reason, release, role):
        actor = permitted_actor(role, "retention.manage")
        with records() as rec:
            if release:
                rec.retention.release_hold(archive_no, actor)
            else:
                rec.retention.set_hold(archive_no, reason, actor)
        click.echo(f"{archive_no} {'已解除冻结' if release else '已冻结'}")

    @main.command()
    @click.argument("archive_no")
    @click.option("--reason", required=True)
    @click.option("-o", "--certificate", type=click.Path(dir_okay=False, path_type=Path))
    @role_option()
    def destroy(archive_no, reason, certificate, role):
        """Destroy an expired dossier (销毁); optionally write its certificate PDF."""
        actor = permitted_actor(role, "dossier.destroy")
        with records() as rec:
            record = rec.retention.destroy(archive_no, reason, actor)
        click.echo(f"{archive_no} 已销毁，销毁记录 {record['record_no']}")
        if certificate:
            certificate.write_bytes(render_certificate(record))
            click.echo(str(certificate))

    @main.command()
    @click.argument("record_no")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
    def certificate(record_no, output):
        """Print the destruction certificate (销毁记录) RECORD_NO as PDF."""
        with records() as rec:
            record = rec.retention.record(record_no)
        output.write_bytes(render_certificate(record))
        click.echo(str(output))


def role_option(default: str = "archivist", help: str = "The role you act in (permissions as for an API key)."):
    """``--role`` of every command that acts on dossiers (service/cli.py uses it too)."""
    return click.option("--role", type=click.Choice(ROLES), default=default, show_default=True, help=help)


def _echo_table(header: Sequence[str], rows: list, empty: str) -> None:
    """Rows under their header, or a line saying there are none (silence looked like a failure)."""
    for line in aligned(header, rows) if rows else [empty]:
        click.echo(line)


def aligned(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The header and rows as lines, each column padded to its widest cell as a terminal shows it
    (a Chinese character takes two columns); the last column is left as it is."""
    table = [header, *rows]
    widths = [max(cell_len(row[i]) for row in table) for i in range(len(header) - 1)]
    return ["  ".join([*map(_pad, row, widths), row[-1]]).rstrip() for row in table]


def _pad(cell: str, width: int) -> str:
    return cell + " " * (width - cell_len(cell))


def _audit_row(entry: dict) -> list[str]:
    details = entry.get("details")
    version = entry.get("version")
    return [str(entry["seq"]), f"{_beijing(entry['at']):%Y-%m-%d %H:%M:%S}", entry["actor"], entry["role"],
            entry["action"], entry.get("archive_no") or "", "" if version is None else str(version),
            orjson.dumps(details).decode() if details else ""]


def _beijing(moment: dt.datetime) -> dt.datetime:
    """Entries are stored in UTC (some backends hand them back naive); users read Beijing time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).astimezone(SHANGHAI)


def permitted_actor(role: str, action: str) -> Actor:
    """The operator as ``cli:<login>`` in ``role``, refused unless the role may ``action``."""
    actor = command_line_actor(role)
    if not actor.can(action):
        raise click.ClickException(f"角色“{role}”没有权限执行此操作（{action}）")
    return actor
