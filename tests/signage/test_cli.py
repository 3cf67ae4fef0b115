"""The ``signage`` command's check and vapid-keys."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec


def signage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "signage", *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_check_accepts_the_demo() -> None:
    done = signage("check", "--config", "demo")
    assert done.returncode == 0 and "ok (6 panels, 9 feeds" in done.stdout


def test_check_lists_every_error_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("city: X\npanels:\n  - {id: A!, name: a, lat: 99, lon: 5, zone: z, profile: p}\n")
    done = signage("check", "--config", str(path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert f"{path}:3: panels[0].id: 'A!' is not a valid id (lowercase letters, digits, . _ -)" in lines
    assert f"{path}:3: panels[0].lat: must be between -90 and 90" in lines
    assert any(line.startswith(f"{path}:3: panels[0].zone") for line in lines)


def test_vapid_keys_are_a_p256_pair() -> None:
    done = signage("vapid-keys")
    keys = json.loads(done.stdout)
    public = base64.urlsafe_b64decode(keys["public_key"] + "==")
    private = int.from_bytes(base64.urlsafe_b64decode(keys["private_key"] + "="), "big")
    derived = ec.derive_private_key(private, ec.SECP256R1()).public_key()
    assert derived.public_numbers() == ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), public).public_numbers()
    assert keys["private_key"] not in done.stderr
