"""A real nginx (Debian's /usr/sbin/nginx) in front of keyfob-server nodes, for tests.

It runs the site config we ship (packaging/server/nginx-keyfob-server.conf), with only what
a test must change substituted: the nodes, the listen addresses (127.0.0.1, free ports) and
the certificate. So every test through this proxy also tests the shipped config. nginx runs
in a temporary folder with its own pid file, logs and temp paths, in the foreground, and is
stopped afterwards.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NGINX = "/usr/sbin/nginx"
SITE = Path(__file__).resolve().parents[2] / "packaging" / "server" / "nginx-keyfob-server.conf"
START_DEADLINE = 20.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A self-signed certificate for `name` (and 127.0.0.1): (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _replace(text: str, pattern: str, new: str, count: int) -> str:
    result, made = re.subn(pattern, new, text, flags=re.MULTILINE)
    assert made == count, f"the shipped site config no longer has {count} x {pattern!r}"
    return result


def render_site(
    upstreams: Sequence[str], http_port: int, https_port: int, cert: Path, key: Path
) -> str:
    """The shipped site config, with the test's nodes, ports and certificate."""
    text = SITE.read_text()
    servers = "\n".join(f"    server {node} max_fails=1 fail_timeout=5s;" for node in upstreams)
    text = _replace(text, r"^    server 10\.0\.0\.12:8765 .*\n", "", 1)
    text = _replace(text, r"^    server 10\.0\.0\.11:8765 .*$", servers, 1)
    text = _replace(text, r"^    listen \[::\]:\d+.*\n", "", 2)  # no IPv6 in every sandbox
    text = _replace(text, r"^    listen 80;", f"    listen 127.0.0.1:{http_port};", 1)
    text = _replace(text, r"^    listen 443 ssl;", f"    listen 127.0.0.1:{https_port} ssl;", 1)
    text = _replace(text, r"^    ssl_certificate .*$", f"    ssl_certificate {cert};", 1)
    return _replace(text, r"^    ssl_certificate_key .*$", f"    ssl_certificate_key {key};", 1)


def main_config(folder: Path, site: Path) -> str:
    """An nginx.conf that keeps everything in `folder` and includes one site."""
    temp = folder / "temp"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (temp / name).mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers switch to `user` (nobody by default), who cannot read here.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log info;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"    access_log {folder}/access.log;\n"
        f"    client_body_temp_path {temp}/body;\n"
        f"    proxy_temp_path {temp}/proxy;\n"
        f"    fastcgi_temp_path {temp}/fastcgi;\n"
        f"    uwsgi_temp_path {temp}/uwsgi;\n"
        f"    scgi_temp_path {temp}/scgi;\n"
        f"    include {site};\n"
        "}\n"
    )


def write_config(folder: Path, site_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "site.conf"
    site.write_text(site_text)
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site))
    return conf


def check_config(folder: Path, site_text: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` of a site: its verdict and messages."""
    conf = write_config(folder, site_text)
    return subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@dataclass
class Nginx:
    folder: Path
    http_port: int
    https_port: int
    cert: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """The TLS site (the certificate is for localhost)."""
        return f"https://localhost:{self.https_port}"

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _wait_listening(nginx: Nginx) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if nginx.process.poll() is not None:
            raise AssertionError(f"nginx exited at start:\n{nginx.error_log()}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", nginx.https_port), timeout=1),
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen within {START_DEADLINE} s:\n{nginx.error_log()}")


@contextlib.contextmanager
def running_nginx(folder: Path, upstreams: Sequence[str]) -> Iterator[Nginx]:
    """nginx with the shipped site in front of `upstreams` ("127.0.0.1:PORT"), until exit."""
    cert, key = make_certificate(folder / "tls")
    http_port, https_port = free_port(), free_port()
    conf = write_config(folder, render_site(upstreams, http_port, https_port, cert, key))
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx = Nginx(folder, http_port, https_port, cert, process)
    try:
        _wait_listening(nginx)
        yield nginx
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
