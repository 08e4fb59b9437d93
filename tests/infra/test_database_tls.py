"""TLS to the database on AWS: verify-full against the RDS CA bundle for the cluster endpoint (what
template.yaml's DB_HOST names), or the Amazon roots for an RDS Proxy endpoint; the embedded server
and a URL given in full are left as they are."""

from __future__ import annotations

import datetime
import hashlib
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlens.db as db
import psycopg
import pytest
from eventlens.config import load_settings
from psycopg.conninfo import conninfo_to_dict

AMAZON_ROOT_CA_1_SHA256 = "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e"
"""Published by Amazon Trust Services (https://www.amazontrust.com/repository/)."""


def aws_env(
    home: Path, host: str = "eventlens-proxy.proxy-abc.eu-west-1.rds.amazonaws.com"
) -> dict[str, str]:
    """The variables template.yaml gives every function (Globals), and the migration's own."""
    return {
        "EVENTLENS_HOME": str(home),
        "DB_HOST": host,
        "DB_NAME": "eventlens",
        "DB_APP_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app",
        "DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:owner",
    }


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Secrets Manager, as the two database secrets read there (the owner's has the cluster host,
    which DB_HOST, the proxy, overrides)."""
    stored: dict[str, dict[str, Any]] = {
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app": {
            "username": "eventlens_app",
            "password": "a-pw",
        },
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:owner": {
            "username": "eventlens",
            "password": "o-pw",
            "host": "cluster.cluster-abc.eu-west-1.rds.amazonaws.com",
            "port": 5432,
        },
    }
    monkeypatch.setattr(db, "_secret", lambda arn: stored[arn])
    return stored


CLUSTER = "eventlens-dbcluster-abc.cluster-abc.eu-west-1.rds.amazonaws.com"


def test_aws_connections_to_the_cluster_verify_against_the_rds_ca_bundle(
    tmp_path: Path, secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the cluster endpoint as DB_HOST (no RDS Proxy), when the URLs are built, then both
    require verify-full for that host against the RDS CA bundle beside eventlens.db, and wait long
    enough for a paused cluster to resume; without the bundle the URL is refused, never built to
    trust something else."""
    bundle = tmp_path / "rds-global-bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setattr(db, "RDS_CA_BUNDLE", bundle)
    cfg = load_settings(aws_env(tmp_path, host=CLUSTER))
    for url in (db.app_database_url(cfg), db.database_url(cfg)):
        params = conninfo_to_dict(url)
        assert params["sslmode"] == "verify-full"
        assert params["sslrootcert"] == str(bundle)
        assert params["host"] == CLUSTER
        assert int(params["connect_timeout"]) >= 20
        assert params["options"] == f"-c idle_session_timeout={db.IDLE_SESSION_TIMEOUT_S}s"
    bundle.unlink()
    with pytest.raises(RuntimeError, match="make rds-ca"):
        db.app_database_url(cfg)
    given = tmp_path / "mine.pem"
    cfg = load_settings({**aws_env(tmp_path, host=CLUSTER), "EVENTLENS_DB_CA_BUNDLE": str(given)})
    assert conninfo_to_dict(db.app_database_url(cfg))["sslrootcert"] == str(given)


def test_aws_connections_verify_the_proxys_certificate_and_name(tmp_path: Path, secrets: Any) -> None:
    """Given the functions' environment on AWS, when the app's and the migration's URLs are built,
    then both require verify-full against the bundled roots, for the proxy's host name."""
    cfg = load_settings(aws_env(tmp_path))
    for url in (db.app_database_url(cfg), db.database_url(cfg)):
        params = conninfo_to_dict(url)
        assert params["sslmode"] == "verify-full"
        assert params["sslrootcert"] == str(db.AWS_ROOT_CA)
        assert params["host"] == "eventlens-proxy.proxy-abc.eu-west-1.rds.amazonaws.com"
    assert db.AWS_ROOT_CA.is_file()


def test_embedded_and_given_urls_carry_no_aws_tls_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """The embedded server (a local socket) and a URL given in full are used as they are: the AWS
    trust roots are added only where the URL is built from a secret."""
    import eventlens.db.embedded as embedded

    monkeypatch.setattr(embedded, "embedded_url", lambda pgdata, database="eventlens": db_url)
    for cfg in (
        load_settings({"EVENTLENS_HOME": str(tmp_path)}),
        load_settings({"EVENTLENS_HOME": str(tmp_path), "DATABASE_URL": db_url}),
    ):
        for url in (db.database_url(cfg), db.app_database_url(cfg)):
            params = conninfo_to_dict(url)
            assert params.get("sslmode") != "verify-full", url
            assert "sslrootcert" not in params, url
    given = (
        "postgresql://app:pw@db.example/eventlens?sslmode=verify-full&sslrootcert=/etc/rds/global-bundle.pem"
    )
    cfg = load_settings({"EVENTLENS_HOME": str(tmp_path), "EVENTLENS_APP_DATABASE_URL": given})
    assert db.app_database_url(cfg) == given


def _certificates(pem: str) -> list[bytes]:
    return [
        ssl.PEM_cert_to_DER_cert(block)
        for block in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", pem, re.S)
    ]


def test_the_bundle_holds_the_amazon_trust_services_roots_and_nothing_else() -> None:
    pem = db.AWS_ROOT_CA.read_text()
    context = ssl.create_default_context(cafile=str(db.AWS_ROOT_CA))
    names = sorted(dict(part[0] for part in c["subject"])["commonName"] for c in context.get_ca_certs())
    assert names == [
        "Amazon Root CA 1",
        "Amazon Root CA 2",
        "Amazon Root CA 3",
        "Amazon Root CA 4",
        "Starfield Services Root Certificate Authority - G2",
    ]
    # Each certificate is the one its header's fingerprint names, and Root CA 1 the published one.
    stated = [f.replace(":", "") for f in re.findall(r"^# SHA256 Fingerprint: (\S+)$", pem, re.M)]
    actual = [hashlib.sha256(der).hexdigest() for der in _certificates(pem)]
    assert actual == stated
    assert AMAZON_ROOT_CA_1_SHA256 in actual


# ------------------------------------------------------- libpq really verifies with the bundle


def _self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def impostor(tmp_path: Path) -> Iterator[tuple[int, Path, list[bytes]]]:
    """A server that answers PostgreSQL's SSLRequest with a certificate of its own for
    `localhost`: (port, its certificate, what each client sent it once TLS was up)."""
    cert, key = _self_signed(tmp_path, "localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(8)  # SSLRequest
                    conn.sendall(b"S")
                    with context.wrap_socket(conn, server_side=True) as tls:
                        received.append(tls.recv(4096))  # the startup message, if trusted
                except (ssl.SSLError, OSError):
                    received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert, received
    stop.set()
    thread.join(5)
    listener.close()


def test_libpq_refuses_a_server_whose_certificate_is_not_from_the_bundle(
    tmp_path: Path, secrets: dict[str, dict[str, Any]], impostor: tuple[int, Path, list[bytes]]
) -> None:
    """Given a server at the proxy's address with a certificate of its own, when the AWS URL
    connects, then libpq stops at the certificate and sends it nothing (no user, no password);
    trusting that server's certificate instead gets through TLS: the bundle is what decides."""
    port, own_cert, received = impostor
    secrets["arn:aws:secretsmanager:eu-west-1:123456789012:secret:app"]["port"] = port
    env = {**aws_env(tmp_path, host="localhost"), "EVENTLENS_DB_CA_BUNDLE": str(db.AWS_ROOT_CA)}
    url = db.app_database_url(load_settings(env))

    local = {"hostaddr": "127.0.0.1", "connect_timeout": 5, "gssencmode": "disable"}

    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(url, **local)
    assert _arrived(received, 1) == [b""]

    with pytest.raises(psycopg.OperationalError):  # past TLS; the impostor speaks no PostgreSQL
        psycopg.connect(url, **local, sslrootcert=str(own_cert))
    assert b"eventlens_app" in _arrived(received, 2)[1]


def _arrived(received: list[bytes], count: int) -> list[bytes]:
    """`received` once the server thread has handled `count` connections (it may lag the client)."""
    import time

    deadline = time.monotonic() + 5
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return received
