"""A throw-away certificate authority for the sandbox's EHMI counterparts.

At start the sandbox makes a CA, a server certificate for loopback (``localhost`` and
``127.0.0.1``) and client certificates for the systems that call it, with ``cryptography``,
written as PEM files into a folder of its own. Nothing here is fit for anything but a
loopback test network: the keys are unencrypted and live as long as the folder.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_LIFETIME = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Pair:
    cert: Path
    key: Path

    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate, hex: what a sender-constrained token binds to."""
        return thumbprint(x509.load_pem_x509_certificate(self.cert.read_bytes()).public_bytes(
            serialization.Encoding.DER))


def thumbprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True, slots=True)
class SandboxCa:
    """The CA's certificate, the loopback server's pair, and a way to issue client pairs."""

    folder: Path
    ca: Path
    server: Pair
    _key: ec.EllipticCurvePrivateKey
    _cert: x509.Certificate

    @classmethod
    def create(cls, folder: Path, name: str = "medcom-adapter sandbox CA") -> SandboxCa:
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + _LIFETIME)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), critical=True)
                .sign(key, hashes.SHA256()))
        ca = folder / "ca.pem"
        ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        made = cls(folder, ca, Pair(folder / "server.pem", folder / "server.key"), key, cert)
        made._issue("localhost", made.server, server=True)
        return made

    def client(self, name: str) -> Pair:
        """A client certificate (``CN=name``) for mutual TLS."""
        pair = Pair(self.folder / f"{name}.pem", self.folder / f"{name}.key")
        self._issue(name, pair, server=False)
        return pair

    def _issue(self, name: str, pair: Pair, *, server: bool) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(self._cert.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + _LIFETIME)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([
                       ExtendedKeyUsageOID.SERVER_AUTH if server
                       else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        pair.key.touch(mode=0o600)
        pair.key.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
