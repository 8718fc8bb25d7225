"""The simulated web's TLS: one self-signed certificate per process, for CONNECT tunnels.

The proxy terminates TLS itself (it *is* every portal), so one certificate serves every host.
Crawlers do not verify certificates by default (Scrapy does not) and real gov.cn portals
often present expired or mismatched ones, so the certificate only has to make a handshake
work: its names (``*.gov.cn``, ``localhost``) are not meant to pass a verifying client.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["server_context"]

# Fixed validity, so the certificate does not depend on the day a test runs.
_NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_NOT_AFTER = dt.datetime(2049, 12, 31, tzinfo=dt.UTC)


def _certificate() -> tuple[bytes, bytes]:
    """A fresh self-signed certificate and its key, both PEM."""
    # An EC key: generated in a millisecond, where RSA takes tens of them.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "simweb"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "simweb simulated gov.cn web")])
    names = x509.SubjectAlternativeName([
        x509.DNSName("*.gov.cn"),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(names, critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@functools.cache
def server_context() -> ssl.SSLContext:
    """The server-side TLS context of every tunnel (made on first use, once per process)."""
    cert_pem, key_pem = _certificate()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Only HTTP/1.1 is served: a client offering h2 must not pick it.
    context.set_alpn_protocols(["http/1.1"])
    # load_cert_chain reads files only: written to a private directory, removed at once.
    with tempfile.TemporaryDirectory(prefix="simweb-tls-") as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context
