"""The ``dossier`` command: serve, keys, render, import.

Commands that need the store use MONGODB_URI when set; otherwise they join the
embedded server a running ``dossier serve`` announced in the data directory
(SQLite allows one server per file), or start their own for the command.
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
from service.actors import ROLES, SYSTEM
from service.dossiers import DossierService, utcnow
from service.storage.connection import Store, open_database
from service.storage.keys import KeyRepository
from service.storage.repository import DossierRepository

ANNOUNCE_FILE = "server.json"


def _settings() -> dict:
    return config.from_environment()


@contextlib.contextmanager
def open_store():
    settings = _settings()
    data_dir: Path = settings["DOSSIER_DATA_DIR"]
    uri = settings["MONGODB_URI"] or _announced_uri(data_dir)
    store = open_database(uri, data_dir, settings["DOSSIER_DB_NAME"])
    try:
        yield store
    finally:
        store.close()


def _announced_uri(data_dir: Path) -> str | None:
    """The URI of the embedded server a running `dossier serve` uses, if it answers."""
    path = data_dir / ANNOUNCE_FILE
    if not path.exists():
        return None
    uri = json.loads(path.read_text())["uri"]
    try:
        MongoClient(uri, serverSelectionTimeoutMS=1500).admin.command("ping")
    except PyMongoError:
        return None
    return uri


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
        (data_dir / ANNOUNCE_FILE).write_text(json.dumps({"uri": store.server.uri, "pid": os.getpid()}))
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
def keys_create(role: str, name: str):
    """Create a key and print it (shown once)."""
    with open_store() as store:
        token, record = KeyRepository(store.db).create(role, name, utcnow())
    click.echo(token)
    click.echo(f"id={record['id']} role={role}", err=True)


@keys.command("list")
def keys_list():
    with open_store() as store:
        for record in KeyRepository(store.db).list():
            state = "revoked" if record["revoked"] else "active"
            click.echo(f"{record['id']}\t{record['role']}\t{state}\t{record['name']}")


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
def render(source: str, output: Path, version: int | None):
    """Print the official copy of FILE.json (a posted dossier) or a stored ARCHIVE_NO."""
    from schemas.registry import get_template
    from service.render import render_official_copy
    from service.render.fingerprint import document_hash

    if Path(source).is_file():
        document = _draft_document(Path(source))
    else:
        with open_store() as store:
            repository = DossierRepository(store.db)
            document = repository.get_version(source, version) if version else repository.get(source)
    template = get_template(document["template"])
    base = os.environ.get("DOSSIER_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    pdf = render_official_copy(document, template, printed_at=dt.datetime.now(dt.timezone.utc),
                               verify_url=f"{base}/api/v1/verify/{document_hash(document)}")
    output.write_bytes(pdf)
    click.echo(f"{output} ({len(pdf) // 1024} KB)")


def _draft_document(path: Path) -> dict:
    """A dossier file validated as if posted, numbered 草稿 (draft): nothing is stored."""
    from schemas import completeness
    from schemas.validation import DossierInvalid, load_dossier

    try:
        loaded = load_dossier(orjson.loads(path.read_bytes()))
    except DossierInvalid as exc:
        raise click.ClickException(_format_invalid(exc)) from None
    for warning in loaded.warnings:
        click.echo(f"提示: {warning}", err=True)
    return {"archive_no": "草稿", "template": loaded.template.name, "version": 0, **loaded.envelope,
            "data": loaded.data, "extra": loaded.extra,
            "completeness": completeness.score(loaded.template, loaded.data)}


# -- import -------------------------------------------------------------------
@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path):
    """Create dossiers from FILE: one JSON dossier, a JSON array, or JSON Lines."""
    from schemas.validation import DossierInvalid

    records = list(_read_records(file))
    created = failed = 0
    with open_store() as store:
        repository = DossierRepository(store.db)
        repository.ensure_indexes()
        service = DossierService(repository)
        for number, record in records:
            try:
                saved = service.create(record, SYSTEM)
            except DossierInvalid as exc:
                failed += 1
                click.echo(f"第 {number} 条：失败 {_format_invalid(exc)}", err=True)
                continue
            created += 1
            click.echo(f"第 {number} 条：{saved.document['archive_no']}")
            for warning in saved.warnings:
                click.echo(f"  提示: {warning}", err=True)
    click.echo(f"已创建 {created} 份，失败 {failed} 份")
    sys.exit(1 if failed else 0)


def _read_records(file: Path):
    text = file.read_bytes()
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield number, orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise click.ClickException(f"第 {number} 行不是有效的 JSON：{exc}") from None
        return
    yield from enumerate(value if isinstance(value, list) else [value], 1)


def _format_invalid(exc) -> str:
    return "；".join(f"{path}: {'，'.join(messages)}" for path, messages in exc.fields.items())
