"""Mail tests: settings built from the environment variables an operator sets, certificates for
the local SMTP server's TLS, and a link that must never reach a log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from eventlens.config import Settings, load_settings
from eventlens.mail import Message, compose

from tests.fakes.smtp_server import HOST, Certificates, make_certificates

LINK = "https://gallery.example.test/sign-in?token=SECRET-TOKEN-9f8e7d"


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def trust(certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> Certificates:
    """The client trusts the test CA the way an operator would point it at a private CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    return certificates


@pytest.fixture
def smtp_settings(tmp_path: Path):
    def make(port: int, **env: str) -> Settings:
        return load_settings(
            {
                "EVENTLENS_HOME": str(tmp_path / "home"),
                "EVENTLENS_SMTP_HOST": HOST,
                "EVENTLENS_SMTP_PORT": str(port),
                "EVENTLENS_MAIL_FROM": "EventLens <noreply@gallery.example.test>",
                **env,
            }
        )

    return make


@pytest.fixture
def sign_in_mail() -> Message:
    return compose.magic_link("ana@example.com", LINK, timedelta(minutes=15), place="Gala Night")
