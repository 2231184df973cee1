"""The dev stack's service identities: one CA and one key + certificate per identity, made on the
first start and kept across restarts (keys 0600 in a 0700 directory). Each certificate names its
identity as subject CN (what servers check), DNS SAN (what clients check, via the target name)
and URI SAN spiffe://atelier/<name>. In a cluster cert-manager issues the same shape."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from contracts import identities
from glue.user_token import new_key_pair

CA_NAME = "atelier-dev-ca"
CA_DAYS = 3650
LEAF_DAYS = 825


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Atelier"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


@dataclass(frozen=True)
class CertificateAuthority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str = CA_NAME) -> CertificateAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def issue(self, identity: str) -> tuple[bytes, bytes]:
        """A key and certificate (PEM) for one identity, usable as server and as client."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(identity))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName(identity),
                        x509.UniformResourceIdentifier(f"spiffe://atelier/{identity}"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return _key_pem(key), certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Pki:
    """A directory holding ca.crt and <identity>.crt / <identity>.key."""

    root: Path

    @property
    def ca_path(self) -> Path:
        return self.root / "ca.crt"

    def cert_path(self, identity: str) -> Path:
        return self.root / f"{identity}.crt"

    def key_path(self, identity: str) -> Path:
        return self.root / f"{identity}.key"

    @property
    def user_token_key_path(self) -> Path:
        """The Ed25519 key that signs user tokens (glue.user_token): the gateway's alone."""
        return self.root / "user-token.key"

    @property
    def user_token_public_path(self) -> Path:
        return self.root / "user-token.pub"

    def env(self, identity: str) -> dict[str, str]:
        """The ATELIER_TLS_* settings of a process running as `identity`, and the user-token key
        it may hold: every process the public one, the gateway also the signing one."""
        env = {
            "ATELIER_TLS_CA": str(self.ca_path),
            "ATELIER_TLS_CERT": str(self.cert_path(identity)),
            "ATELIER_TLS_KEY": str(self.key_path(identity)),
            "ATELIER_USER_TOKEN_PUBLIC_KEY": str(self.user_token_public_path),
        }
        if identity == identities.USER_TOKEN_SIGNER:
            env["ATELIER_USER_TOKEN_SIGNING_KEY"] = str(self.user_token_key_path)
        return env


def ensure_pki(root: Path, names: Iterable[str] = identities.ALL) -> Pki:
    """The PKI under `root`, made on first use; an identity missing from it is added (its CA key
    stays there so that later identities can be issued)."""
    pki = Pki(Path(root))
    pki.root.mkdir(parents=True, exist_ok=True)
    pki.root.chmod(0o700)
    ca_key_path = pki.root / "ca.key"
    if ca_key_path.exists() and pki.ca_path.exists():
        key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        ca = CertificateAuthority(key, x509.load_pem_x509_certificate(pki.ca_path.read_bytes()))
    else:
        ca = CertificateAuthority.create()
        _write_private(ca_key_path, _key_pem(ca.key))
        pki.ca_path.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    if not (pki.user_token_key_path.exists() and pki.user_token_public_path.exists()):
        private, public = new_key_pair()
        _write_private(pki.user_token_key_path, private)
        pki.user_token_public_path.write_bytes(public)
    for identity in names:
        if pki.cert_path(identity).exists() and pki.key_path(identity).exists():
            continue
        key_pem, cert_pem = ca.issue(identity)
        _write_private(pki.key_path(identity), key_pem)
        pki.cert_path(identity).write_bytes(cert_pem)
    return pki


def _encoded(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kube_secrets(pki: Pki, names: Iterable[str] = identities.ALL - {identities.OPERATOR}) -> str:
    """One Secret per workload identity, named atelier-identity-<name>, in the layout cert-manager
    writes (ca.crt, tls.crt, tls.key): the dev cluster's stand-in for a cert-manager Issuer. And
    the user-token keys: the signing key in a Secret the gateway alone mounts, the public key in a
    ConfigMap the gRPC servers mount."""
    documents = [
        "apiVersion: v1\nkind: Secret\ntype: Opaque\n"
        "metadata:\n  name: atelier-user-token-signer\n  namespace: atelier\n"
        f"data:\n  user-token.key: {_encoded(pki.user_token_key_path)}\n",
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata:\n  name: atelier-user-token\n  namespace: atelier\n"
        f"binaryData:\n  user-token.pub: {_encoded(pki.user_token_public_path)}\n",
    ]
    for identity in sorted(names):
        files = {"ca.crt": pki.ca_path, "tls.crt": pki.cert_path(identity), "tls.key": pki.key_path(identity)}
        data = "\n".join(f"  {key}: {_encoded(path)}" for key, path in files.items())
        documents.append(
            "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\n"
            f"metadata:\n  name: atelier-identity-{identity}\n  namespace: atelier\ndata:\n{data}\n"
        )
    return "---\n".join(documents)


if __name__ == "__main__":
    # python -m tools.devstack.pki kube-secrets DIR: the dev cluster's identity Secrets (Tiltfile).
    if len(sys.argv) != 3 or sys.argv[1] != "kube-secrets":
        raise SystemExit("usage: python -m tools.devstack.pki kube-secrets PKI_DIR")
    sys.stdout.write(kube_secrets(ensure_pki(Path(sys.argv[2]))))
