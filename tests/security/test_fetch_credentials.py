"""What the engine fetches itself, it signs in to with credentials from the environment: an MQTT broker that
wants a password over TLS (a real Mosquitto), an API that wants an Authorization header.

Guards proven: ``MqttRunner._sign_in`` (``username_env``, ``password_env``, ``mqtts://`` with ``ca_file_env``) and
``Poller`` (``headers_env``); a variable that is missing is a feed error naming it, never its value.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import yaml
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signage.config import demo_config_path
from signage.demo.payloads import CarPark, parking_notification
from signage.feed_runners import MqttRunner
from signage.settings import Settings
from signage.web.keys import ENGINE, RUNNERS
from tests.conftest import free_port
from tests.helpers import eventually

BROKER_USER, BROKER_PASSWORD = "engine", "mqtt-pass-for-tests"


def _certificate(subject: str, key: Any, issuer: x509.Name | None = None, issuer_key: Any = None,
                 ca: bool = False) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        import ipaddress

        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A Mosquitto of the test's own: TLS only, a password required, anonymous clients refused."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    passwd = shutil.which("mosquitto_passwd")
    if not Path(mosquitto).exists() or passwd is None:
        pytest.fail("mosquitto and mosquitto_passwd are needed (apt-get install mosquitto; scripts/system-deps)")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test city CA", ca_key, ca=True)
    server = _certificate("127.0.0.1", server_key, ca.subject, ca_key)
    pem = serialization.Encoding.PEM
    ca_file = _write(tmp_path / "ca.pem", ca.public_bytes(pem))
    cert_file = _write(tmp_path / "server.pem", server.public_bytes(pem))
    key_file = _write(tmp_path / "server.key", server_key.private_bytes(
        pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    passwords = tmp_path / "passwords"
    subprocess.run([passwd, "-c", "-b", str(passwords), BROKER_USER, BROKER_PASSWORD], check=True,
                   capture_output=True)
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n"
                    f"cafile {ca_file}\ncertfile {cert_file}\nkeyfile {key_file}\n", encoding="utf-8")
    log = tmp_path / "mosquitto.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=output)
    deadline = dt.datetime.now() + dt.timedelta(seconds=10)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if dt.datetime.now() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"mosquitto did not start: {log.read_text(errors='replace')}")
    try:
        yield port, ca_file
    finally:
        process.terminate()
        process.wait(timeout=10)


async def engine_with(aiohttp_client: Any, tmp_path: Path, feed: dict[str, Any], backend_env: dict[str, Any]
                      ) -> Any:
    from signage.web.app import create_app

    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["feeds"].append(feed)
    path = tmp_path / "city.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    client = await aiohttp_client(create_app(Settings(config_path=path, role="all", **backend_env)))
    await client.app[ENGINE].started.wait()
    return client


async def value_of(client: Any, key: str, timeout: float = 15.0) -> Any:
    async def found() -> Any:
        items = (await (await client.get(f"/api/v1/open/{key.split('/')[0]}")).json()).get("items", [])
        return next((i for i in items if i["id"] == key.split("/")[1]), None)

    return await eventually(found, timeout, what=f"{key} in the open data")


async def health_of(client: Any, feed: str, says: str, timeout: float = 15.0) -> dict[str, Any]:
    async def reported() -> dict[str, Any] | None:
        report: dict[str, Any] = {f["feed"]: f for f in (await (await client.get("/api/v1/feeds")).json())[
            "feeds"]}[feed]
        return report if report["last_error"] and says in report["last_error"]["reason"] else None

    return dict(await eventually(reported, timeout, what=f"{feed}'s health saying {says!r}"))


async def test_the_engine_signs_in_to_a_tls_broker_with_credentials_from_the_environment(
        aiohttp_client: Any, tmp_path: Path, secure_broker: tuple[int, Path], monkeypatch: pytest.MonkeyPatch,
        backend_env: dict[str, str | None]) -> None:
    port, ca_file = secure_broker
    monkeypatch.setenv("SENSORS_MQTT_USER", BROKER_USER)
    monkeypatch.setenv("SENSORS_MQTT_PASSWORD", BROKER_PASSWORD)
    monkeypatch.setenv("SENSORS_MQTT_CA", str(ca_file))
    client = await engine_with(aiohttp_client, tmp_path, {
        "id": "sensors", "format": "mqtt", "max_age": "10m", "broker": f"mqtts://127.0.0.1:{port}",
        "topics": ["city/parking/+/state"], "key": "parking/{id}", "username_env": "SENSORS_MQTT_USER",
        "password_env": "SENSORS_MQTT_PASSWORD", "ca_file_env": "SENSORS_MQTT_CA"}, backend_env)
    runner = client.app[RUNNERS]["sensors"]
    assert isinstance(runner, MqttRunner)
    await eventually(runner.connected.is_set, what="the engine signed in and subscribed")
    tls = aiomqtt.TLSParameters(ca_certs=str(ca_file))
    async with aiomqtt.Client("127.0.0.1", port, username=BROKER_USER, password=BROKER_PASSWORD,
                              tls_params=tls) as sensor:
        await sensor.publish("city/parking/wilson/state", b'{"free": 42, "capacity": 420}', qos=1)
    assert (await value_of(client, "parking/wilson"))["free"] == 42


async def test_a_wrong_broker_password_is_a_feed_error_without_the_password(
        aiohttp_client: Any, tmp_path: Path, secure_broker: tuple[int, Path], monkeypatch: pytest.MonkeyPatch,
        backend_env: dict[str, str | None]) -> None:
    port, ca_file = secure_broker
    monkeypatch.setenv("SENSORS_MQTT_USER", BROKER_USER)
    monkeypatch.setenv("SENSORS_MQTT_PASSWORD", "not-the-broker-password")
    monkeypatch.setenv("SENSORS_MQTT_CA", str(ca_file))
    client = await engine_with(aiohttp_client, tmp_path, {
        "id": "sensors", "format": "mqtt", "max_age": "10m", "broker": f"mqtts://127.0.0.1:{port}",
        "topics": ["city/#"], "key": "parking/{id}", "username_env": "SENSORS_MQTT_USER",
        "password_env": "SENSORS_MQTT_PASSWORD", "ca_file_env": "SENSORS_MQTT_CA"}, backend_env)
    report = await health_of(client, "sensors", "MQTT broker")
    assert report["status"] == "error"
    assert "not-the-broker-password" not in json.dumps(await (await client.get("/api/v1/feeds")).json())


async def test_a_polled_api_gets_its_authorization_header_from_the_environment(
        aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        backend_env: dict[str, str | None]) -> None:
    seen: list[str | None] = []
    wilson = CarPark("wilson-api", "Parking Wilson", 420, 47.3165, 5.0450)

    async def producer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != "Bearer city-api-key":
            return web.json_response({"error": "who are you?"}, status=401)
        return web.Response(body=parking_notification(wilson, 77, dt.datetime.now(dt.UTC)),
                            content_type="application/json")

    api = web.Application()
    api.router.add_get("/parking", producer)
    runner = web.AppRunner(api)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        client = await engine_with(aiohttp_client, tmp_path, {
            "id": "city-api", "format": "ngsi-v2", "max_age": "10m", "url": f"http://127.0.0.1:{port}/parking",
            "interval": "1s", "max_backoff": "1s", "headers_env": {"Authorization": "CITY_API_AUTH"}}, backend_env)
        report = await health_of(client, "city-api", "CITY_API_AUTH")  # not set: said by its name, nothing sent
        assert "is not set" in report["last_error"]["reason"] and seen == []
        monkeypatch.setenv("CITY_API_AUTH", "Bearer city-api-key")
        assert (await value_of(client, "parking/wilson-api"))["free"] == 77
        assert seen and set(seen) == {"Bearer city-api-key"}
    finally:
        await runner.cleanup()
