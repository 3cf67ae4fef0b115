"""The ``signage`` command. Each command imports what it uses when it runs, not before: the quick ones (``check``,
``schema``, ``multi``, tokens) start in 0.6 s rather than the server's 1 s of imports."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signage.config import Config, ConfigInvalid, demo_config_path, load_config
from signage.settings import ROLES, Settings
from signage.timeutil import parse_instant

if TYPE_CHECKING:
    from signage.tokens import Keyring

__all__ = ["main"]


def _config_path(value: str) -> Path:
    return demo_config_path() if value == "demo" else Path(value)


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


LISTEN_BACKLOG = 8192  # connections waiting to be accepted (the kernel caps it at net.core.somaxconn): a restart's
# reconnect storm is queued, not refused (aiohttp's default is 128)


def _serve(settings: Settings, banner: str) -> int:
    from aiohttp import web

    from signage.collector_pauses import freeze_what_is_loaded
    from signage.web.app import create_app
    from signage.web.errors import SERVER_LIMITS

    try:
        app = create_app(settings)
    except ConfigInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 2
    # aiohttp handles SIGTERM and SIGINT: stop accepting, close WebSockets with 1001, run the cleanups
    # (which flush the store), exit 0.
    # The parser reads lines up to SERVER_LIMITS, so that a long URL or header gets the API's JSON 414 or 431.

    async def freeze(_: web.Application) -> None:
        freeze_what_is_loaded()  # after every start-up step: what they loaded is never walked by the collector

    app.on_startup.append(freeze)
    web.run_app(app, host=settings.host, port=settings.port, print=lambda _: print(banner, flush=True),
                shutdown_timeout=10.0, access_log=None, backlog=LISTEN_BACKLOG,
                max_line_size=SERVER_LIMITS["max_line_size"],
                max_field_size=SERVER_LIMITS["max_field_size"])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    # The demo's simulated partner signs its webhook deliveries with a secret of the day, and Web Push uses a
    # VAPID key of the day unless one is configured (a phone subscribed to the demo is so until it restarts).
    os.environ.setdefault("SIGNAGE_WEBHOOK_SECRET", secrets.token_hex(16))
    os.environ.setdefault("SIGNAGE_VAPID_PRIVATE_KEY", _new_vapid_private_key())
    settings = Settings.from_env(demo_config_path(), port=args.port, host=args.host, simulate=True,
                                 simulation_speed=args.speed)
    # One name for every address, the one browsers keep the console's Secure cookies on.
    local = settings.host in ("127.0.0.1", "0.0.0.0", "::", "localhost")
    base = f"http://{'localhost' if local else settings.host}:{settings.port}"
    config = load_config(settings.config_path)
    lines = [f"Signage demo for {config.city} on {base}/ (stop with Ctrl+C)",
             f"  app:     {base}/  (the citizens' phone app)",
             f"  panels:  {base}/api/v1/panels",
             f"  open:    {base}/api/v1/open  (open data; API: {base}/api/v1/openapi.json)"]
    lines += [f"  kiosk:   {base}/kiosk/{p.id}" for p in config.panels.values()
              if config.profiles[p.profile].kind.value == "kiosk"]
    lines += [f"  LED:     {base}/api/v1/panels/{p.id}/content?format=multi" for p in config.panels.values()
              if config.profiles[p.profile].kind.value != "kiosk"][:3]
    lines += [f"  preview: {base}/api/v1/panels/{p.id}/preview.png" for p in config.panels.values()
              if config.profiles[p.profile].kind.value == "full"][:2]
    lines += [f"  alerts:  {base}/api/v1/open/alerts.atom  (CAP 1.2)",
              f"  live:    {base}/ws  (subscribe to parking/darcy, air/dijon-metropole, panel/gare…)",
              f"  metrics: {base}/metrics"]
    password = _demo_staff(settings)
    lines += [f"  console: {base}/admin  accounts {', '.join(DEMO_STAFF)}, password of this run: {password}",
              "  Every minute, a line says what the city did."]
    return _serve(settings, "\n".join(lines))


DEMO_STAFF = {"redaction": "editor", "relecture": "approver", "admin": "admin"}


def _demo_staff(settings: Settings) -> str:
    """Console accounts for the demo, with one password made for this run (or SIGNAGE_STAFF_PASSWORD)."""
    import asyncio

    from signage.store import open_store
    from signage.web.staff_auth import StaffAccounts

    password = os.environ.get("SIGNAGE_STAFF_PASSWORD") or secrets.token_urlsafe(12)

    async def run() -> None:
        store = open_store(settings.redis_url, settings.sqlite_path, settings.redis_prefix)
        try:
            for username, role in DEMO_STAFF.items():
                await StaffAccounts(store).add(username, role, password, actor="demo")
        finally:
            await store.close()

    asyncio.run(run())
    return password


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env(_config_path(args.config), role=args.role, port=args.port, host=args.host)
    return _serve(settings, f"signage {settings.role} listening on http://{settings.host}:{settings.port}/")


def cmd_check(args: argparse.Namespace) -> int:
    try:
        config = load_config(_config_path(args.config))
    except ConfigInvalid as exc:
        for error in exc.errors:
            print(error)
        print(f"{len(exc.errors)} error(s)", file=sys.stderr)
        return 1
    print(f"{config.source}: ok ({len(config.panels)} panels, {len(config.feeds)} feeds, "
          f"{len(config.rules)} rules, {len(config.zones)} zones)")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """The configuration's JSON Schema, for editors that check a city's YAML as it is typed."""
    from signage.city_schema import CitySchema

    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **CitySchema.model_json_schema()}
    print(json.dumps(schema, ensure_ascii=False, indent=2))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from signage.replay import replay

    try:
        config = load_config(_config_path(args.config))
    except ConfigInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 2
    until = parse_instant(args.until) if args.until else None
    source = sys.stdin if args.events == "-" else open(args.events, encoding="utf-8")  # noqa: SIM115
    with source:
        for record in replay(config, source, until, args.explain):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _config_or_report(settings: Settings) -> Config | None:
    """The configuration, or None after printing every error (``file:line: field: message``)."""
    try:
        return load_config(settings.config_path)
    except ConfigInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return None


def cmd_feeds(args: argparse.Namespace) -> int:
    import asyncio

    from signage.dead_letters import list_dead_letters, retry_dead_letters
    from signage.store import open_store

    settings = Settings.from_env(_config_path(args.config))
    config = _config_or_report(settings)
    if config is None:
        return 2

    if args.action in ("token", "revoke"):
        return _feed_tokens(args, settings, config)

    async def run() -> int:
        store = open_store(settings.redis_url, settings.sqlite_path, settings.redis_prefix)
        try:
            if args.action == "dead-letters":
                for letter in await list_dead_letters(store):
                    print(json.dumps(letter, ensure_ascii=False))
                return 0
            accepted, refused = await retry_dead_letters(store, config, args.url, args.id)
            print(f"{accepted} accepted, {refused} refused again", file=sys.stderr)
            return 0 if refused == 0 else 1
        finally:
            await store.close()

    return asyncio.run(run())


def _manage_tokens(settings: Settings, keyring: Callable[[Any], Keyring], kind: str, owner: str, action: str,
                   keep_previous: bool, note: str = "") -> int:
    """``token`` or ``revoke`` for a panel's or a feed's keyring: a new token printed once, or every one cut off."""
    import asyncio

    from signage.store import open_store

    async def run() -> int:
        store = open_store(settings.redis_url, settings.sqlite_path, settings.redis_prefix)
        try:
            tokens, what = keyring(store), f"{kind} {owner}"
            if action == "revoke":
                revoked = await tokens.revoke(owner)
                print(f"{what}: " + ("every token revoked; running servers refuse it within two seconds"
                                     if revoked else "had no token"), file=sys.stderr)
                return 0
            print(await tokens.issue(owner, keep_previous=keep_previous))
            print(f"{what}: new token above, shown only now (send it as Authorization: Bearer …); it is stored as a "
                  "digest. " + ("The previous one stays valid until the next rotation." if keep_previous
                                else "Any previous token no longer works.") + note, file=sys.stderr)
            return 0
        finally:
            await store.close()

    return asyncio.run(run())


def _feed_tokens(args: argparse.Namespace, settings: Settings, config: Config) -> int:
    from signage.feed_auth import receives_deliveries
    from signage.tokens import FeedTokens

    feed = config.feeds.get(args.feed or "")
    if feed is None:
        print(f"signage feeds {args.action}: name a feed (known: {', '.join(config.feeds)})", file=sys.stderr)
        return 2
    note = "" if receives_deliveries(feed) else (
        f" Note: the engine fetches feed {feed.id} itself; a token lets a producer POST to it too.")
    return _manage_tokens(settings, FeedTokens, "feed", feed.id, args.action, args.keep_previous, note)


def cmd_panels(args: argparse.Namespace) -> int:
    from signage.tokens import PanelTokens

    settings = Settings.from_env(_config_path(args.config))
    config = _config_or_report(settings)
    if config is None:
        return 2
    if args.panel not in config.panels:
        print(f"signage panels: no panel {args.panel!r} (known: {', '.join(config.panels)})", file=sys.stderr)
        return 2
    return _manage_tokens(settings, PanelTokens, "panel", args.panel, args.action, args.keep_previous)


def cmd_staff(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    from signage.passwords import PasswordProblem
    from signage.store import open_store
    from signage.web.staff_auth import StaffAccounts, StaffProblem

    settings = Settings.from_env(_config_path(args.config))

    async def run() -> int:
        store = open_store(settings.redis_url, settings.sqlite_path, settings.redis_prefix)
        try:
            accounts = StaffAccounts(store)
            if args.action == "list":
                for staff in await accounts.accounts():
                    print(f"{staff.username}\t{staff.role}")
                return 0
            if args.action == "token":
                print(await accounts.issue_token(args.username))
                print(f"an API token for {args.username}, shown only now; it is stored as a digest", file=sys.stderr)
                return 0
            # The password comes from the terminal, or from SIGNAGE_STAFF_PASSWORD for scripts: never an argument,
            # which other users could read in the process list.
            password = os.environ.get("SIGNAGE_STAFF_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
            await accounts.add(args.username, args.role, password)
            print(f"account {args.username} ({args.role}) saved", file=sys.stderr)
            return 0
        except (StaffProblem, PasswordProblem) as exc:
            print(f"signage staff: {exc}", file=sys.stderr)
            return 2
        finally:
            await store.close()

    return asyncio.run(run())


def _new_vapid_private_key() -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(private).rstrip(b"=").decode()


def cmd_vapid_keys(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)

    def b64url(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    print(json.dumps({"public_key": b64url(public), "private_key": b64url(private)}))
    print("Keep private_key secret: set it as SIGNAGE_VAPID_PRIVATE_KEY, never in a file others read.",
          file=sys.stderr)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from signage.render_command import RenderProblem, read_message, render_message

    try:
        config = load_config(_config_path(args.config))
        output = render_message(config, args.profile, args.format, read_message(Path(args.message)))
    except ConfigInvalid as exc:
        print(exc, file=sys.stderr)
        return 2
    except (RenderProblem, OSError) as exc:
        print(f"signage render: {exc}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.buffer.write(output)
        sys.stdout.flush()
    else:
        Path(args.output).write_bytes(output)
        print(f"wrote {len(output)} bytes to {args.output}", file=sys.stderr)
    return 0


def cmd_multi(args: argparse.Namespace) -> int:
    from signage.render_command import RenderProblem, multi_report

    try:
        report = multi_report(load_config(_config_path(args.config)), args.profile, args.multi)
    except ConfigInvalid as exc:
        print(exc, file=sys.stderr)
        return 2
    except RenderProblem as exc:
        print(f"signage multi: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report["valid"] else 1


def cmd_ntcip(args: argparse.Namespace) -> int:
    from channels.ntcip_probe import probe, probe_lines
    from channels.ntcip_signs import credentials
    from channels.snmp_link import DeviceError
    from signage.model import NtcipTarget

    host, _, port_text = args.address.rpartition(":") if ":" in args.address else (args.address, "", "161")
    if not host or not port_text.isdigit():
        print("signage ntcip probe: the address must be HOST:PORT", file=sys.stderr)
        return 2
    target = NtcipTarget(host, int(port_text), args.snmp_version, args.community_env, args.user,
                         args.auth_key_env, args.priv_key_env, args.auth_protocol, args.priv_protocol)
    try:
        report = asyncio.run(probe(host, int(port_text), credentials(target, os.environ), args.timeout))
    except (ValueError, DeviceError) as exc:
        print(f"signage ntcip probe: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False) if args.json else "\n".join(probe_lines(report)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signage", description="Real-time signage and citizen notification.")
    parser.add_argument("--log-level", default="info")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the Dijon demo in one process, with simulated feeds")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--speed", type=float, default=60.0,
                      help="how fast the simulated city's clock runs: city minutes per real second; the default, "
                           "60, makes a city hour pass in a real minute and a whole day in 24 minutes")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run a configuration")
    serve.add_argument("--config", required=True, help="configuration file, or 'demo'")
    serve.add_argument("--role", choices=ROLES, default="all")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="validate a configuration")
    check.add_argument("--config", required=True)
    check.set_defaults(func=cmd_check)

    schema = sub.add_parser("schema", help="print the configuration's JSON Schema (for editors checking the YAML)")
    schema.set_defaults(func=cmd_schema)

    replay = sub.add_parser("replay", help="replay feed deliveries offline (JSON lines), print what happens")
    replay.add_argument("--config", required=True, help="configuration file, or 'demo'")
    replay.add_argument("--until", help="let time pass to this instant after the last line (ISO 8601)")
    replay.add_argument("--explain", action="store_true",
                        help="after each change of a panel, print why it shows what it shows")
    replay.add_argument("events", help="JSON-lines file of deliveries, or - for standard input")
    replay.set_defaults(func=cmd_replay)

    feeds = sub.add_parser("feeds", help="a feed's producer tokens; refused deliveries: list them, or send them "
                                         "again after a fix")
    feeds.add_argument("action", choices=["token", "revoke", "dead-letters", "retry"])
    feeds.add_argument("feed", nargs="?", help="the feed's id (token, revoke)")
    feeds.add_argument("--keep-previous", action="store_true",
                       help="with token: the previous token stays valid until the next rotation")
    feeds.add_argument("--config", default="demo", help="configuration file, or 'demo'")
    feeds.add_argument("--url", default="http://127.0.0.1:8080", help="the running server, for retry")
    feeds.add_argument("--id", help="retry only this dead letter")
    feeds.set_defaults(func=cmd_feeds)

    vapid = sub.add_parser("vapid-keys", help="generate a VAPID key pair for Web Push")
    vapid.set_defaults(func=cmd_vapid_keys)

    panels = sub.add_parser("panels", help="issue, rotate or revoke a panel's token")
    panels.add_argument("action", choices=["token", "revoke"])
    panels.add_argument("panel", help="the panel's id")
    panels.add_argument("--keep-previous", action="store_true",
                        help="with token: the previous token stays valid until the next rotation")
    panels.add_argument("--config", default="demo", help="configuration file, or 'demo'")
    panels.set_defaults(func=cmd_panels)

    staff = sub.add_parser("staff", help="staff accounts of the console: add (or change), list, API token")
    staff.add_argument("action", choices=["add", "list", "token"])
    staff.add_argument("username", nargs="?", default="")
    staff.add_argument("--role", choices=["viewer", "editor", "approver", "admin"], default="viewer")
    staff.add_argument("--config", default="demo", help="configuration file, or 'demo'")
    staff.set_defaults(func=cmd_staff)

    render = sub.add_parser("render", help="render a message for a profile: MULTI, PNG, kiosk HTML, push or CAP")
    render.add_argument("--profile", required=True, help="a built-in profile or one of the configuration's")
    render.add_argument("--format", required=True, choices=["multi", "png", "html", "push", "cap"])
    render.add_argument("--message", required=True, help="message file, JSON or YAML")
    render.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    render.add_argument("--config", default="demo", help="configuration for templates and zones (default: demo)")
    render.set_defaults(func=cmd_render)

    multi = sub.add_parser("multi", help="parse and validate a MULTI string for a profile; prints JSON")
    multi.add_argument("--profile", required=True)
    multi.add_argument("multi", help="the MULTI string")
    multi.add_argument("--config", default="demo", help="configuration for custom profiles (default: demo)")
    multi.set_defaults(func=cmd_multi)

    ntcip = sub.add_parser("ntcip", help="installers: read an NTCIP 1203 sign's capabilities, status and message")
    ntcip.add_argument("action", choices=["probe"])
    ntcip.add_argument("address", help="HOST:PORT of the sign's SNMP agent")
    ntcip.add_argument("--snmp-version", choices=["2c", "3"], default="2c")
    ntcip.add_argument("--community-env", help="variable holding the SNMPv2c community (default: public)")
    ntcip.add_argument("--user", help="SNMPv3 user (authPriv)")
    ntcip.add_argument("--auth-key-env", help="variable holding the SNMPv3 authentication key")
    ntcip.add_argument("--priv-key-env", help="variable holding the SNMPv3 privacy key")
    ntcip.add_argument("--auth-protocol", choices=["SHA-224", "SHA-256", "SHA-384", "SHA-512"], default="SHA-256")
    ntcip.add_argument("--priv-protocol", choices=["AES-128", "AES-192", "AES-256"], default="AES-128")
    ntcip.add_argument("--timeout", type=float, default=2.0, help="seconds per attempt (three attempts)")
    ntcip.add_argument("--json", action="store_true", help="print JSON instead of text")
    ntcip.set_defaults(func=cmd_ntcip)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log_level)
    try:
        result: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (``signage replay … | head``): what it wanted, it has. Python would still try to
        # flush standard output at exit and print a traceback; point it at nothing instead.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return result
