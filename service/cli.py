"""The ``dossier`` command: serve, keys, render, import, export.

Commands that need the store use MONGODB_URI when set; otherwise they join the
embedded server a running ``dossier serve`` announced in the data directory
(SQLite allows one server per file), or start their own for the command, with a
notice on stderr when that directory holds no database yet.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

import click
import orjson
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from service import config
from service.actors import ROLES
from service.clock import utcnow
from service.printing import print_official_copy, verify_url
from service.records.cli import aligned, permitted_actor, role_option
from service.records.cli import register as register_records
from service.records.errors import RecordsError
from service.services import build_services
from service.storage.connection import Store, open_database
from service.storage.embedded import DB_FILE
from service.storage.errors import StorageError
from service.storage.keys import KeyRepository

ANNOUNCE_FILE = "server.json"
KEY_COLUMNS = ("编号", "角色", "状态", "名称")


def _settings() -> dict:
    return config.from_environment()


@contextlib.contextmanager
def open_store():
    settings = _settings()
    data_dir: Path = settings["DOSSIER_DATA_DIR"]
    uri = settings["MONGODB_URI"] or _announced(data_dir).get("uri")
    new_database = not uri and not (data_dir / DB_FILE).exists()
    store = open_database(uri, data_dir, settings["DOSSIER_DB_NAME"])
    if new_database:
        _warn_new_database(data_dir)
    try:
        yield store
    finally:
        store.close()


def _warn_new_database(data_dir: Path) -> None:
    """The default data directory (./var) depends on where the command runs: run elsewhere, a
    command would quietly work on a new, empty database, so say so (on stderr, output stays clean)."""
    click.echo(f"注意：数据目录 {data_dir} 中还没有档案库（新建了一个空库）。"
               "要使用已有数据，请在项目目录中运行，或设置 DOSSIER_DATA_DIR。", err=True)


@contextlib.contextmanager
def open_services():
    with open_store() as store:
        yield build_services(store.db, store)


def _announced(data_dir: Path) -> dict:
    """What a running `dossier serve` announced in the data directory (its database URI and
    public URL), if its database answers."""
    path = data_dir / ANNOUNCE_FILE
    if not path.exists():
        return {}
    announced = json.loads(path.read_text())
    try:
        MongoClient(announced["uri"], serverSelectionTimeoutMS=1500).admin.command("ping")
    except (PyMongoError, KeyError, TypeError):
        return {}
    return announced


def _public_url() -> str:
    """Printed in QR codes: DOSSIER_PUBLIC_URL, else the running service's address."""
    settings = _settings()
    return (settings["DOSSIER_PUBLIC_URL"] or _announced(settings["DOSSIER_DATA_DIR"]).get("public_url")
            or "http://127.0.0.1:8000")


@click.group()
def main():
    """客户档案服务 (client dossier service)."""


# -- serve --------------------------------------------------------------------
@main.command()
@click.option("--host", default=lambda: os.environ.get("DOSSIER_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000")
@click.option("--workers", default=lambda: int(os.environ.get("DOSSIER_WORKERS", "2")), type=int, show_default="2")
def serve(host: str, port: int, workers: int):
    """Run the service under gunicorn (starts the embedded store when MONGODB_URI is unset)."""
    from service.serve import run
    settings = _settings()
    data_dir: Path = settings["DOSSIER_DATA_DIR"]
    store = None
    if not settings["MONGODB_URI"]:
        store = open_database(None, data_dir, settings["DOSSIER_DB_NAME"])
        os.environ["MONGODB_URI"] = store.server.uri
        (data_dir / ANNOUNCE_FILE).write_text(json.dumps({
            "uri": store.server.uri, "pid": os.getpid(),
            "public_url": settings["DOSSIER_PUBLIC_URL"] or f"http://{host}:{port}"}))
        click.echo(f"嵌入式数据库已启动：{data_dir / 'dossiers.db'}")
    try:
        _bootstrap_admin_key(store)
        click.echo(f"服务地址 Service: http://{host}:{port}/   接口文档 API docs: http://{host}:{port}/api/v1/docs")
        run(host, port, workers)
    finally:
        if store is not None:
            (data_dir / ANNOUNCE_FILE).unlink(missing_ok=True)
            store.close()


def _bootstrap_admin_key(store: Store | None) -> None:
    """First start: make an admin key and print it once, so a new user can sign in at once."""
    with (contextlib.nullcontext(store) if store else open_store()) as active:
        keys = KeyRepository(active.db)
        if keys.count():
            return
        token, _ = keys.create("admin", "初始管理员", utcnow())
    click.secho("首次启动：已创建管理员 API 密钥（只显示这一次，请妥善保存）", fg="yellow")
    click.secho(f"  {token}", fg="green", bold=True)


# -- keys ---------------------------------------------------------------------
@main.group()
def keys():
    """Manage API keys (stored hashed)."""


@keys.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="", help="Who or what uses the key.")
@click.option("--team", default=None, help="The key's team: dossiers it creates record it; a manager reads only its team's.")
def keys_create(role: str, name: str, team: str | None):
    """Create a key and print it (shown once)."""
    with open_store() as store:
        token, record = KeyRepository(store.db).create(role, name, utcnow(), team=team)
    click.echo(token)
    click.echo(f"id={record['id']} role={role}", err=True)


@keys.command("list")
def keys_list():
    """Every key, oldest first (the secrets are not stored, so not shown)."""
    with open_store() as store:
        found = KeyRepository(store.db).list()
    rows = [(r["id"], r["role"], "revoked" if r["revoked"] else "active", r["name"]) for r in found]
    for line in aligned(KEY_COLUMNS, rows):
        click.echo(line)


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str):
    with open_store() as store:
        KeyRepository(store.db).revoke(key_id)
    click.echo(f"revoked {key_id}")


# -- render -------------------------------------------------------------------
@main.command()
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--version", "version", type=int, default=None, help="An earlier version of a stored dossier.")
@role_option(help="The role you print in (a stored dossier's copy gets a serial and is audited).")
def render(source: str, output: Path, version: int | None, role: str):
    """Print FILE.json as a draft (草稿, nothing stored) or the official copy of a stored ARCHIVE_NO."""
    if Path(source).is_file():
        pdf = _render_draft(Path(source))
    else:
        actor = permitted_actor(role, "dossier.print")
        with open_services() as services:
            try:
                copy = print_official_copy(services, source, version, actor, _public_url())
            except (StorageError, RecordsError) as exc:
                raise click.ClickException(getattr(exc, "message", str(exc))) from None
        pdf = copy.pdf
        click.echo(f"复本编号 {copy.serial}", err=True)
    output.write_bytes(pdf)
    click.echo(f"{output} ({len(pdf) // 1024} KB)")


def _render_draft(path: Path) -> bytes:
    """A dossier file validated as if posted and printed as 草稿 (draft): nothing is stored,
    so the copy carries no serial and no verification code."""
    from schemas import completeness
    from schemas.registry import get_template
    from schemas.validation import DossierInvalid, load_dossier
    from service.render import render_official_copy

    try:
        loaded = load_dossier(orjson.loads(path.read_bytes()))
    except DossierInvalid as exc:
        raise click.ClickException(_format_invalid(exc)) from None
    for warning in loaded.warnings:
        click.echo(f"提示: {warning}", err=True)
    document = {"archive_no": "草稿", "template": loaded.template.name, "version": 0, **loaded.envelope,
                "data": loaded.data, "extra": loaded.extra,
                "completeness": completeness.score(loaded.template, loaded.data)}
    return render_official_copy(document, get_template(document["template"]),
                                printed_at=dt.datetime.now(dt.timezone.utc), verify_url=None)


# -- import -------------------------------------------------------------------
@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("jsonl", "json", "csv", "xlsx")), default=None,
              help="Default: from the suffix (.jsonl .json .csv .xlsx); JSON / JSON Lines otherwise.")
@click.option("--template", default=None, help="Template of CSV/XLSX rows without a 模板 column.")
@click.option("--mode", type=click.Choice(("best_effort", "all_or_nothing")), default="best_effort",
              show_default=True, help="all_or_nothing: write nothing if any row is bad.")
@click.option("--dry-run", is_flag=True, help="Validate and report only; write nothing.")
@role_option("clerk", help="The role you import in: clerk creates and updates its own dossiers; "
                           "admin also updates everyone else's.")
def import_(file: Path, fmt: str | None, template: str | None, mode: str, dry_run: bool, role: str):
    """Create or update dossiers from FILE: JSON (one or an array), JSON Lines, CSV or XLSX.

    Rows carrying an archive number (档案编号) or external id (外部编号) update that
    dossier (idempotent); the others create new ones.
    """
    from service.bulk.importer import Importer
    from service.bulk.readers import format_for, read_rows

    actor = permitted_actor(role, "dossier.import")
    fmt = format_for(file, fmt) or "json"
    with open_services() as services:  # imported dossiers are audited like posted ones
        report = Importer(services.dossiers, actor, mode, dry_run).run(lambda: read_rows(file, fmt, template))
    for row in report.rows:
        _echo_import_row(row)
    counts = report.summary()
    click.echo(f"共 {counts['rows']} 行：新建 {counts['created']}，更新 {counts['updated']}，"
               f"未变 {counts['unchanged']}，失败 {counts['invalid']}"
               + (f"（试运行：将新建 {counts['would_create']}，将更新 {counts['would_update']}，未写入）" if dry_run else "")
               + ("（全部或全不：因有错误，未写入任何档案）" if mode == "all_or_nothing" and not report.written
                  and not dry_run else ""))
    sys.exit(1 if report.failed else 0)


_STATUS_WORDS = {"created": "新建", "updated": "更新", "unchanged": "未变", "would_create": "将新建",
                 "would_update": "将更新"}


def _echo_import_row(row) -> None:
    where = f"{row.sheet} " if row.sheet else ""
    if row.status == "invalid":
        reasons = "；".join(f"{e['field']}: {e['reason']}" for e in row.errors)
        click.echo(f"{where}第 {row.row} 条：失败 {reasons}", err=True)
        return
    click.echo(f"{where}第 {row.row} 条：{' '.join(filter(None, [row.archive_no, _STATUS_WORDS[row.status]]))}")
    for warning in row.warnings:
        click.echo(f"  提示: {warning}", err=True)


# -- export -------------------------------------------------------------------
@main.command("export")
@click.option("--format", "fmt", type=click.Choice(("jsonl", "csv", "xlsx", "pdf-zip")), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--template", default=None, help="Required for CSV.")
@click.option("--region", default=None)
@click.option("--industry", default=None)
@click.option("--level", default=None)
@click.option("--status", default=None)
@click.option("-q", "q", default=None, help="Client name or archive number contains.")
@click.option("--updated-since", type=click.DateTime(), default=None, help="Beijing time.")
@click.option("--completeness-lt", type=float, default=None)
@click.option("--headers", type=click.Choice(("labels", "keys")), default="labels", show_default=True)
@click.option("--workers", type=int, default=None, help="PDF processes (default: all cores).")
@role_option(help="The role you export in (archivist or admin; the export is audited).")
def export(fmt: str, output: Path, headers: str, workers: int | None, role: str, **filters):
    """Export the matching dossiers to OUTPUT (JSON Lines, CSV, XLSX or a ZIP of PDFs)."""
    from rich.progress import Progress

    from service.bulk import exporting

    actor = permitted_actor(role, "dossier.export")
    if filters["updated_since"] is not None:
        filters["updated_since"] = filters["updated_since"].replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    filters = {k: v for k, v in filters.items() if v is not None}
    with open_services() as services, Progress() as progress:
        repository = services.repository
        task = progress.add_task("导出 export", total=repository.count(filters))
        try:
            selection = exporting.write_export(
                repository, filters, actor, fmt, output, headers=headers, workers=workers,
                verify_base=verify_url(_public_url(), ""), on_item=lambda: progress.advance(task))
        except exporting.ExportRefused as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"{output}：导出 {selection.exported} 份，因客户未同意导出而跳过 {selection.skipped} 份")
    for skipped in selection.skipped_list:
        click.echo(f"  跳过 {skipped['archive_no']}：{skipped['reason']}", err=True)


def _format_invalid(exc) -> str:
    return "；".join(f"{path}: {'，'.join(messages)}" for path, messages in exc.fields.items())


register_records(main, open_services)  # audit, loans, retention, destroy, certificate
