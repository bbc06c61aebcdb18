"""``dossier audit|loans|retention|destroy|certificate``: records management from the command line.

The operator acts under a role (``--role``, checked against service/actors.py like an
API key) and is recorded in the audit trail as ``cli:<login>``.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import click

from service.actors import ROLES, Actor, command_line_actor
from service.records.certificate import render_certificate
from service.records.errors import RecordsError
from service.records.lending import STEPS
from service.storage.errors import StorageError


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
    def audit_list(dossier, action, limit):
        with records() as rec:
            for e in rec.audit.entries({"archive_no": dossier, "action": action}, limit=limit):
                click.echo(f"{e['seq']}\t{e['at']:%Y-%m-%d %H:%M:%S}\t{e['actor']}\t{e['role']}\t{e['action']}\t"
                           f"{e.get('archive_no') or ''}\t{e.get('details') or ''}")

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
        for loan in found:
            click.echo(f"{loan['loan_no']}\t{loan['archive_no']}\t{loan['state_label']}\t"
                       f"{loan.get('borrower') or ''}\t{loan.get('due_date') or ''}")

    @main.group()
    def retention():
        """Retention periods and legal holds (保管期限)."""

    @retention.command("due")
    def retention_due():
        with records() as rec:
            for item in rec.retention.due():
                click.echo(f"{item['archive_no']}\t{item['template']}\t{item['expires_on']}\t"
                           f"{'冻结' if item['hold'] else ''}")

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


def permitted_actor(role: str, action: str) -> Actor:
    """The operator as ``cli:<login>`` in ``role``, refused unless the role may ``action``."""
    actor = command_line_actor(role)
    if not actor.can(action):
        raise click.ClickException(f"角色“{role}”没有权限执行此操作（{action}）")
    return actor
