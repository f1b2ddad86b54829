"""`pos sync ...` (the till's side) and `pos cloud ...` (the HQ: serve, enroll-code,
revoke, publish-catalog, publish-campaigns, trust-key, revoke-key, lease), registered
on the CLI by pos.cli."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pos.config import Config
from pos.errors import PosError

if TYPE_CHECKING:
    from sqlalchemy import Engine

Register = Callable[..., argparse.ArgumentParser]


def register(command: Register) -> None:
    enroll = command("enroll", _sync_enroll, "enroll this till with the cloud", ["sync"])
    enroll.add_argument("code", help="the one-time code from `pos cloud enroll-code`")
    enroll.add_argument("--cloud", required=True, metavar="URL", help="the cloud's base URL")
    status = command("status", _sync_status, "what is pushed and what is not", ["sync"])
    status.add_argument("--json", action="store_true", help="as JSON, for scripts")
    command("now", _sync_now, "push everything now, with a progress bar", ["sync"])

    serve = command("serve", _cloud_serve, "run the chain's cloud (HQ) service", ["cloud"])
    _database_option(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    code = command(
        "enroll-code", _cloud_enroll_code, "make a one-time code to enroll a till", ["cloud"]
    )
    _database_option(code)
    code.add_argument("--store", required=True, help="the store the till belongs to")
    revoke = command("revoke", _cloud_revoke, "revoke a till's enrollment", ["cloud"])
    _database_option(revoke)
    revoke.add_argument("device_id")
    revoke.add_argument("--reason", default="revoked by a manager")
    publish = command(
        "publish-catalog",
        _cloud_publish_catalog,
        "send catalog items and prices (CSV) to every till, or one store's",
        ["cloud"],
    )
    _database_option(publish)
    publish.add_argument("file", type=Path, help="a catalog CSV, as for `pos catalog import`")
    publish.add_argument("--store", help="only this store's tills (default: every store)")
    publish.add_argument("--skip-bad", action="store_true", help="send the good rows anyway")
    trust_key = command(
        "trust-key", _cloud_trust_key, "have every till accept codes signed by a key", ["cloud"]
    )
    _database_option(trust_key)
    trust_key.add_argument("kid", help="the key id codes name (1-40 letters, digits, - or _)")
    trust_key.add_argument("public_key", help="the Ed25519 public key, unpadded base64url")
    revoke_key = command(
        "revoke-key", _cloud_revoke_key, "have every till refuse codes signed by a key", ["cloud"]
    )
    _database_option(revoke_key)
    revoke_key.add_argument("kid")
    campaigns = command(
        "publish-campaigns",
        _cloud_publish_campaigns,
        "send coupon campaigns ([[members.campaigns]] of a pos.toml) to every till",
        ["cloud"],
    )
    _database_option(campaigns)
    campaigns.add_argument("file", type=Path, help="a pos.toml, or a file of [[members.campaigns]]")
    lease = command(
        "lease",
        _cloud_lease,
        "let one till alone take coupons of a lease campaign offline",
        ["cloud"],
    )
    _database_option(lease)
    lease.add_argument("device_id", help="the till, e.g. T01")
    lease.add_argument("campaign_id")
    lease.add_argument("coupon_ids", nargs="+", metavar="COUPON_ID")


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        help="postgresql://user@host/db for a chain, or a SQLite file "
        "(default: cloud.db in the data folder)",
    )


# -- the till ---------------------------------------------------------------------------


def _sync_enroll(args: argparse.Namespace, config: Config) -> int:
    from sync.client import enroll
    from sync.credentials import save_credentials

    device_id = config.settings.till.device_id
    credentials = enroll(args.cloud, args.code, device_id, timeout_s=config.settings.sync.timeout_s)
    if credentials.store_id != config.settings.store.id:
        raise PosError(
            "Wrong store",
            f"The code is for store {credentials.store_id}, but this till is "
            f"{config.settings.store.id} ([store] id); nothing was saved.",
        )
    path = save_credentials(config.data_dir, credentials)
    print(f"enrolled {device_id} (store {credentials.store_id}) with {args.cloud}; token in {path}")
    return 0


def _sync_status(args: argparse.Namespace, config: Config) -> int:
    from pos.bootstrap import open_ledger
    from sync.credentials import load_credentials
    from sync.pusher import sync_status

    credentials = load_credentials(config.data_dir)
    ledger = open_ledger(config)
    try:
        status = sync_status(ledger)
    finally:
        ledger.close()
    cloud = credentials.cloud_url if credentials else None
    if args.json:
        print(json.dumps({"cloud": cloud, **status.as_json()}))
        return 0
    print(f"cloud: {cloud or 'not enrolled (pos sync enroll CODE --cloud URL)'}")
    print(f"last seq: {status.last_seq}")
    print(f"acked through: {status.acked_through}")
    print(f"backlog: {status.backlog} events")
    print(f"last sync: {status.last_sync or 'never'}")
    reached = {None: "not tried yet", True: "yes", False: "no (the till sells on offline)"}
    print(f"cloud reachable: {reached[status.reachable]}")
    if status.alert:
        print(f"ALERT: {status.alert}")
    return 0


def _sync_now(args: argparse.Namespace, config: Config) -> int:
    from rich.progress import Progress

    from pos.bootstrap import open_ledger
    from sync.client import CloudClient
    from sync.credentials import SyncError, load_credentials
    from sync.pusher import Pusher, sync_status

    credentials = load_credentials(config.data_dir)
    if credentials is None:
        raise SyncError("Not enrolled", "Enroll first: pos sync enroll CODE --cloud URL.")
    ledger = open_ledger(config)
    client = CloudClient(credentials, timeout_s=config.settings.sync.timeout_s)
    try:
        start = sync_status(ledger)
        pusher = Pusher(ledger, client, config.settings.sync)
        with Progress(transient=True) as progress:
            task = progress.add_task("pushing", total=max(start.backlog, 1))
            try:
                done = pusher.drain(
                    lambda now: progress.update(task, completed=start.backlog - now.backlog)
                )
            finally:
                pusher.stop()
    finally:
        client.close()
        ledger.close()
    print(f"pushed {start.backlog - done.backlog} events; acked through {done.acked_through}")
    return 0


# -- the cloud --------------------------------------------------------------------------


def _engine(args: argparse.Namespace, config: Config) -> Engine:
    from cloud.hq.database import database_url, open_engine

    return open_engine(database_url(args.database, config.data_dir))


def _cloud_serve(args: argparse.Namespace, config: Config) -> int:
    import gc

    import uvicorn

    from cloud.hq.app import create_app

    engine = _engine(args, config)
    app = create_app(engine)
    # What is loaded by now (the interpreter, FastAPI, SQLAlchemy, the app) lives as
    # long as the process: out of the collector's sight, the full collections that a
    # push's hundreds of thousands of parsed objects set off do not walk it every time
    # (about a tenth of the ingest's CPU time).
    gc.freeze()
    print(f"pos HQ on http://{args.host}:{args.port} (OpenAPI at /docs); Ctrl-C stops it.")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _cloud_enroll_code(args: argparse.Namespace, config: Config) -> int:
    from cloud.hq.devices import new_enrollment_code
    from pos.ledger.database import utc_now

    with _engine(args, config).begin() as conn:
        code = new_enrollment_code(conn, args.store, utc_now())
    print(code)
    return 0


def _cloud_revoke(args: argparse.Namespace, config: Config) -> int:
    from cloud.hq.devices import revoke
    from pos.ledger.database import utc_now

    with _engine(args, config).begin() as conn:
        revoke(conn, args.device_id, args.reason, utc_now())
    print(f"revoked {args.device_id}")
    return 0


def _cloud_publish_catalog(args: argparse.Namespace, config: Config) -> int:
    from cloud.hq.publishing import publish_catalog
    from pos.cli import catalog_rows
    from pos.ledger.chain import format_ts
    from pos.ledger.database import utc_now

    parsed = catalog_rows(args, "published")
    if parsed is None:
        return 1
    with _engine(args, config).begin() as conn:
        published = publish_catalog(conn, parsed.items, args.store, format_ts(utc_now()))
    print(
        f"{published.sent} sent to {f'store {args.store}' if args.store else 'every store'}, "
        f"{published.unchanged} unchanged"
    )
    return 0


def _cloud_trust_key(args: argparse.Namespace, config: Config) -> int:
    from cloud.hq.publishing import trust_key
    from pos.ledger.chain import format_ts
    from pos.ledger.database import utc_now

    with _engine(args, config).begin() as conn:
        sent = trust_key(conn, args.kid, args.public_key, format_ts(utc_now()))
    print(f"key {args.kid}: {'sent to every till' if sent else 'already trusted'}")
    return 0


def _cloud_revoke_key(args: argparse.Namespace, config: Config) -> int:
    from cloud.hq.publishing import revoke_key
    from pos.ledger.chain import format_ts
    from pos.ledger.database import utc_now

    with _engine(args, config).begin() as conn:
        sent = revoke_key(conn, args.kid, format_ts(utc_now()))
    print(f"key {args.kid}: {'revoked at every till' if sent else 'already revoked'}")
    return 0


def _cloud_lease(args: argparse.Namespace, config: Config) -> int:
    from cloud.hq.publishing import lease_coupons
    from pos.ledger.chain import format_ts
    from pos.ledger.database import utc_now

    with _engine(args, config).begin() as conn:
        new = lease_coupons(
            conn, args.device_id, args.campaign_id, args.coupon_ids, format_ts(utc_now())
        )
    print(f"{len(new)} leased to {args.device_id} ({len(args.coupon_ids) - len(new)} already)")
    return 0


def _cloud_publish_campaigns(args: argparse.Namespace, config: Config) -> int:
    import tomllib

    from cloud.hq.publishing import publish_campaigns
    from pos.config import load_config
    from pos.ledger.chain import format_ts
    from pos.ledger.database import utc_now

    # Checked and described exactly as pos.toml is; but a file without campaigns
    # would otherwise publish the demo's defaults.
    settings = load_config(args.file, environ={}).settings
    with args.file.open("rb") as stream:
        listed = tomllib.load(stream).get("members", {}).get("campaigns")
    if not listed:
        raise PosError("No campaigns", f"{args.file} has no [[members.campaigns]] to publish.")
    with _engine(args, config).begin() as conn:
        published = publish_campaigns(conn, settings.members.campaigns, format_ts(utc_now()))
    print(f"{published.sent} sent to every store, {published.unchanged} unchanged")
    return 0
