"""`pos`: the composition root. Reads the configuration, builds the adapters, and runs
the till or one command. Every error meant for a person (PosError) is printed here as
`error: title` plus its message; nothing else prints tracebacks at a user.

Exit codes: 0 success, 1 the command ran and found a problem (e.g. the ledger does not
verify), 2 the command could not run (bad configuration, bad arguments, I/O failure).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pos import report_commands, sync_commands
from pos.config import Config, load_config
from pos.errors import PosError

if TYPE_CHECKING:
    from pos.catalog_csv import CatalogFile
    from pos.ledger.database import Ledger
    from pos.tui.app import PosApp

Command = Callable[[argparse.Namespace, Config], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(getattr(args, "config", None), getattr(args, "data", None))
        command: Command = args.command
        return command(args, config)
    except PosError as error:
        print(
            f"error: {error.title}\n  {error.message.replace(chr(10), chr(10) + '  ')}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `pos config show | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="pos.toml to use (default: $POS_CONFIG, else the built-in demo store)",
    )
    common.add_argument(
        "--data",
        type=Path,
        default=argparse.SUPPRESS,
        help="data folder holding the ledger (overrides [till] data_dir)",
    )

    parser = argparse.ArgumentParser(
        prog="pos", parents=[common], description="The till. With no command, run it."
    )
    # Only `command` gets a default here: set_defaults would also change the shared
    # --config/--data actions every subcommand inherits from `common`.
    parser.set_defaults(command=_run_till)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, handler: Command, help_: str, group: Sequence[str] = ()
    ) -> argparse.ArgumentParser:
        sub = (groups[group[0]] if group else commands).add_parser(
            name, parents=[common], help=help_, description=help_
        )
        sub.set_defaults(command=handler)
        return sub

    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for name, help_ in (
        ("ledger", "check, export, back up and restore the ledger"),
        ("catalog", "import and export the product catalog"),
        ("staff", "staff accounts"),
        ("config", "check and show the configuration"),
        ("devices", "scanners, the printer and the cash drawer"),
        ("sync", "push this till's journal to the chain's cloud"),
        ("cloud", "the chain's services: the HQ and the wallet sandbox"),
        ("report", "X, Z and day reports; closing a business day"),
    ):
        group_parser = commands.add_parser(name, help=help_, description=help_)
        group_parser.set_defaults(command=_group_help(group_parser))
        groups[name] = group_parser.add_subparsers(title="commands", metavar="COMMAND")

    command("run", _run_till, "run the till (the default)")

    command("verify", _ledger_verify, "check the hash chain and the projections", ["ledger"])
    export = command("export", _ledger_export, "write the journal as JSON Lines", ["ledger"])
    export.add_argument(
        "--since", type=int, default=0, metavar="SEQ", help="only events after this seq"
    )
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument(
        "--personal-data",
        action="store_true",
        help="members' full phone numbers (masked by default: an export leaves the till)",
    )
    backup = command("backup", _ledger_backup, "copy the live ledger safely", ["ledger"])
    backup.add_argument("dest", type=Path, help="backup file, or a folder for a dated file")
    restore = command(
        "restore", _ledger_restore, "verify a backup, then make it the ledger", ["ledger"]
    )
    restore.add_argument("backup", type=Path)

    cat_import = command("import", _catalog_import, "add or update products from CSV", ["catalog"])
    cat_import.add_argument("file", type=Path)
    cat_import.add_argument(
        "--skip-bad", action="store_true", help="import the good rows even if some rows are bad"
    )
    cat_export = command("export", _catalog_export, "write the catalog as CSV", ["catalog"])
    cat_export.add_argument("--out", type=Path, help="file to write (default: standard output)")

    staff_add = command("add", _staff_add, "add a staff account (asks for the PIN)", ["staff"])
    staff_add.add_argument("staff_no")
    staff_add.add_argument("--name", required=True)
    staff_add.add_argument(
        "--role", choices=("cashier", "manager", "technician"), default="cashier"
    )
    command("list", _staff_list, "list staff accounts", ["staff"])

    command("check", _config_check, "validate pos.toml and say where data lives", ["config"])
    command("show", _config_show, "every setting, its value and where it came from", ["config"])

    _technician_commands(command)
    sync_commands.register(command)
    report_commands.register(command)

    simulate = command("simulate", _simulate, "sell realistic baskets through the real checkout")
    simulate.add_argument("--sales", type=int, required=True, metavar="N")
    simulate.add_argument("--seed", type=int, default=1, metavar="S")
    simulate.add_argument(
        "--days", type=int, default=1, metavar="D", help="spread the sales over the last D days"
    )
    simulate.add_argument(
        "--tender",
        choices=("cash", "wallet", "mixed"),
        default="cash",
        help="how customers pay; wallet goes through [payments.wechat]'s gateway",
    )
    simulate.add_argument(
        "--bulk",
        action="store_true",
        help="commit without waiting for the disk (fast; for generating test ledgers)",
    )
    return parser


Register = Callable[..., argparse.ArgumentParser]
"""_parser's `command(name, handler, help, group)`."""


def _technician_commands(command: Register) -> None:
    command("list", _devices_list, "serial ports, cameras, the printer and its state", ["devices"])
    command("test-print", _devices_test_print, "print a test page", ["devices"])
    command("scan", _devices_scan, "print scans live until Ctrl-C", ["devices"])
    command("drawer", _devices_drawer, "open the cash drawer (journaled)", ["devices"])
    decode = command("decode", _devices_decode, "decode codes in image files", ["devices"])
    decode.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    sim = command(
        "printer-sim", _printer_sim, "run the printer simulator on TCP (port 9100)", ["devices"]
    )
    sim.add_argument("--port", type=int, default=9100)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--out", type=Path, required=True, metavar="DIR", help="where jobs go")
    sim.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper in mm")
    command("doctor", _doctor, "check configuration, data, ledger and devices")

    sandbox = command(
        "wallet-sandbox", _wallet_sandbox, "a WeChat Pay v2 gateway for tests and demos", ["cloud"]
    )
    sandbox.add_argument("--port", type=int, default=8080)
    sandbox.add_argument("--host", default="127.0.0.1")


def _group_help(parser: argparse.ArgumentParser) -> Command:
    def show(_args: argparse.Namespace, _config: Config) -> int:
        parser.print_help()
        return 2

    return show


def till_app(config: Config) -> PosApp:
    """The till as `pos` runs it: the ledger opens behind the first screen."""
    from pos.hardware import build_devices
    from pos.tui.app import PosApp

    def open_ledger() -> Ledger:
        from pos.bootstrap import open_ledger

        return open_ledger(config)

    return PosApp(config, open_ledger, build_devices(config))


def _run_till(args: argparse.Namespace, config: Config) -> int:
    app = till_app(config)
    try:
        app.run()
    finally:
        if app.opened_ledger is not None:
            app.opened_ledger.close()
    return 0


def _ledger_verify(args: argparse.Namespace, config: Config) -> int:
    from pos.ledger.verify import verify

    _require_ledger(config)
    ledger = _open_for_reading(config)
    try:
        report = verify(ledger)
    finally:
        ledger.close()
    if report.ok:
        print(f"ok: {report.events} events, chain head {report.head_hash}")
        return 0
    for problem in report.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1


def _ledger_export(args: argparse.Namespace, config: Config) -> int:
    from pos.ledger.archive import export_jsonl

    _require_ledger(config)
    ledger = _open_for_reading(config)
    try:
        if args.out is None:
            export_jsonl(ledger, sys.stdout, args.since, personal_data=args.personal_data)
        else:
            with args.out.open("w", encoding="utf-8") as out:
                count = export_jsonl(ledger, out, args.since, personal_data=args.personal_data)
            print(f"{count} events written to {args.out}", file=sys.stderr)
    finally:
        ledger.close()
    return 0


def _ledger_backup(args: argparse.Namespace, config: Config) -> int:
    from pos.ledger.archive import backup, check_backup
    from pos.ledger.database import Ledger

    _require_ledger(config)
    ledger = Ledger.open(config.ledger_path, config.settings.till.device_id)
    try:
        written = backup(ledger, args.dest)
    finally:
        ledger.close()
    _device, report = check_backup(written)
    if not report.ok:
        print(f"FAILED: the backup does not verify: {report.problems[0]}", file=sys.stderr)
        return 1
    print(f"backed up {report.events} events to {written} (verified)")
    return 0


def _ledger_restore(args: argparse.Namespace, config: Config) -> int:
    from pos.ledger.archive import restore

    kept = restore(args.backup, config.ledger_path, device_id=config.settings.till.device_id)
    print(f"restored {args.backup} to {config.ledger_path}")
    if kept is not None:
        print(f"the previous ledger was kept as {kept}")
    return 0


def catalog_rows(args: argparse.Namespace, verb: str) -> CatalogFile | None:
    """The catalog file `args.file` as read, its bad rows told on stderr; None when
    there are bad rows and `args.skip_bad` is not set (nothing is then to be `verb`)."""
    from pos.catalog_csv import read_catalog_csv

    try:
        with args.file.open(encoding="utf-8", newline="") as stream:
            parsed = read_catalog_csv(stream)
    except (OSError, UnicodeDecodeError) as error:
        raise PosError("Catalog not readable", f"{args.file}: {error}") from None
    for problem in parsed.errors:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if parsed.errors and not args.skip_bad:
        print(
            f"nothing {verb}: {len(parsed.errors)} bad row(s); fix them or use --skip-bad",
            file=sys.stderr,
        )
        return None
    return parsed


def _catalog_import(args: argparse.Namespace, config: Config) -> int:
    from pos.bootstrap import open_ledger
    from pos.catalog_admin import apply_catalog

    parsed = catalog_rows(args, "imported")
    if parsed is None:
        return 1
    ledger = open_ledger(config)
    try:
        changes = apply_catalog(ledger, parsed.items)
    finally:
        ledger.close()
    skipped = f", {len(parsed.errors)} bad rows skipped" if parsed.errors else ""
    print(
        f"{changes.added} added, {changes.updated} updated, {changes.repriced} repriced, "
        f"{changes.unchanged} unchanged{skipped}"
    )
    return 0


def _catalog_export(args: argparse.Namespace, config: Config) -> int:
    from pos.bootstrap import open_ledger
    from pos.catalog_admin import current_catalog
    from pos.catalog_csv import write_catalog_csv

    ledger = open_ledger(config)
    try:
        catalog = current_catalog(ledger)
    finally:
        ledger.close()
    if args.out is None:
        write_catalog_csv(catalog, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            count = write_catalog_csv(catalog, out)
        print(f"{count} products written to {args.out}", file=sys.stderr)
    return 0


def _staff_add(args: argparse.Namespace, config: Config) -> int:
    import getpass

    from pos.bootstrap import open_ledger
    from pos.domain.staff import Role
    from pos.staff import add_staff

    pin = getpass.getpass("PIN (4-8 digits): ") if sys.stdin.isatty() else sys.stdin.readline()
    ledger = open_ledger(config)
    try:
        add_staff(ledger, args.staff_no, args.name, Role(args.role), pin.strip())
    finally:
        ledger.close()
    print(f"added {args.role} {args.staff_no} ({args.name})")
    return 0


def _staff_list(args: argparse.Namespace, config: Config) -> int:
    from pos.bootstrap import open_ledger
    from pos.staff import list_staff

    ledger = open_ledger(config)
    try:
        for member in list_staff(ledger):
            print(f"{member.staff_no}\t{member.role.value}\t{member.name}")
    finally:
        ledger.close()
    return 0


def _config_check(args: argparse.Namespace, config: Config) -> int:
    source = config.source or "built-in demo store (no pos.toml)"
    print(f"configuration: {source}: ok")
    print(f"store: {config.settings.store.id} ({config.settings.store.name})")
    print(f"till: {config.settings.till.device_id}")
    print(f"ledger: {config.ledger_path}")
    return 0


def _simulate(args: argparse.Namespace, config: Config) -> int:
    from rich.progress import Progress

    from pos.bootstrap import open_ledger
    from pos.domain.money import format_amount
    from pos.ledger.verify import verify
    from pos.loyalty_setup import open_loyalty
    from pos.simulate import simulate

    if args.sales < 1 or args.days < 1:
        raise PosError("Nothing to simulate", "--sales and --days must be at least 1.")
    wallet = None
    if args.tender != "cash":
        from pos.wallet_setup import open_wallet

        wallet = open_wallet(config)
        if wallet is None:
            raise PosError("No wallet", "[payments.wechat] enabled is false; use --tender cash.")
    ledger = open_ledger(config)
    try:
        loyalty = open_loyalty(config, ledger)
        with Progress(transient=True) as progress:
            task = progress.add_task("selling", total=args.sales)
            result = simulate(
                ledger,
                config.settings,
                sales=args.sales,
                seed=args.seed,
                days=args.days,
                tender=args.tender,
                wallet=wallet.client if wallet is not None else None,
                loyalty=loyalty,
                on_sale=lambda _record: progress.advance(task),
                bulk=args.bulk,
            )
        report = verify(ledger)
        strays = loyalty.payers_not_members() if loyalty is not None else 0
    finally:
        ledger.close()
        if wallet is not None:
            wallet.close()
    wallet_part = (
        f" ({result.wallet_sales} by WeChat Pay, {result.wallet_refused} refused and paid cash)"
        if args.tender != "cash"
        else ""
    )
    print(
        f"{result.sales} sales{wallet_part}, {result.items} items, "
        f"total {format_amount(result.revenue)} {config.settings.store.currency}; ledger "
        + ("verifies" if report.ok else f"DOES NOT VERIFY: {report.problems[0]}")
    )
    if loyalty is not None and args.tender != "cash":
        print(
            f"members: {result.enrolled} enrolled, {result.member_sales} sales to members, "
            f"{result.coupons_issued} coupons issued, {result.coupons_redeemed} redeemed; "
            + (
                "every WeChat Pay payer is a member"
                if strays == 0
                else f"{strays} WeChat Pay payers are NOT members"
            )
        )
    return 0 if report.ok and strays == 0 else 1


def _config_show(args: argparse.Namespace, config: Config) -> int:
    from pos.config.describe import describe
    from receipts.layout import cell_width, pad

    rows = describe(config)
    width = max(cell_width(f"{row.key} = {row.value}") for row in rows)
    for row in rows:
        print(pad(f"{row.key} = {row.value}", width), f" # {row.origin}")
    return 0


def _devices_list(args: argparse.Namespace, config: Config) -> int:
    from pos.technician import devices_list

    return devices_list(config)


def _devices_test_print(args: argparse.Namespace, config: Config) -> int:
    from pos.technician import print_test_page

    return print_test_page(config)


def _devices_scan(args: argparse.Namespace, config: Config) -> int:
    from pos.technician import watch_scans

    return watch_scans(config)


def _devices_drawer(args: argparse.Namespace, config: Config) -> int:
    from pos.technician import open_drawer

    return open_drawer(config)


def _devices_decode(args: argparse.Namespace, config: Config) -> int:
    from pos.technician import decode_images

    return decode_images(config, args.images)


def _printer_sim(args: argparse.Namespace, config: Config) -> int:
    from devices.printer_sim import serve

    serve(args.port, args.out, host=args.host, width_mm=args.width)
    return 0


def _wallet_sandbox(args: argparse.Namespace, config: Config) -> int:
    from cloud.wallet.config import SandboxConfig
    from cloud.wallet.server import serve

    merchant = SandboxConfig()
    print(
        f"WeChat Pay v2 sandbox on http://{args.host}:{args.port} "
        f"(appid {merchant.appid}, mch_id {merchant.mch_id}, sign {merchant.sign_type}); "
        "Ctrl-C stops it."
    )
    serve(args.port, host=args.host, config=merchant)
    return 0


def _doctor(args: argparse.Namespace, config: Config) -> int:
    from pos.technician import doctor

    return doctor(config)


def _open_for_reading(config: Config) -> Ledger:
    """The ledger for verify and export: also where its file system went read-only (a
    failing disk often does), so the journal can still be checked and copied out."""
    from pos.ledger.database import Ledger, on_read_only_fs

    path, device_id = config.ledger_path, config.settings.till.device_id
    if on_read_only_fs(path):
        return Ledger.open_read_only(path, device_id)
    return Ledger.open(path, device_id)


def _require_ledger(config: Config) -> None:
    if not config.ledger_path.exists():
        raise PosError(
            "No ledger", f"There is no ledger at {config.ledger_path} (has the till run here?)."
        )


if __name__ == "__main__":
    raise SystemExit(main())
