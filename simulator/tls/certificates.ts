// X.509 building on node-forge, with RSA keys made by node:crypto (native, fast).
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import forge from "node-forge";

interface KeyPairPem {
  publicKeyPem: string;
  privateKeyPem: string;
}

export interface CertificateWithKey {
  certificatePem: string;
  privateKeyPem: string;
}

export interface IssueOptions {
  commonName: string;
  /** Validity from one hour ago (clock skew) to this many days ahead. */
  days: number;
  isCa?: boolean;
  /** Server certificate subject alternative names. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Signed by this issuer; self-signed when absent. */
  issuer?: CertificateWithKey;
  extendedKeyUsage?: { serverAuth?: boolean; clientAuth?: boolean };
}

function generateRsaKeyPair(modulusLength = 2048): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/** Issues a certificate for a new RSA key; returns both as PEM. */
export function issueCertificate(options: IssueOptions): CertificateWithKey {
  const keys = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  // A positive serial: clear the top bit of the first byte.
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + options.days * 24 * 60 * 60 * 1000);
  const subject = [{ name: "commonName", value: options.commonName }];
  cert.setSubject(subject);

  const issuerCert = options.issuer
    ? forge.pki.certificateFromPem(options.issuer.certificatePem)
    : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);

  const extensions: object[] = [];
  if (options.isCa) {
    extensions.push(
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    );
  } else {
    extensions.push(
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    );
  }
  if (options.extendedKeyUsage) {
    extensions.push({ name: "extKeyUsage", ...options.extendedKeyUsage });
  }
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  if (altNames.length > 0) extensions.push({ name: "subjectAltName", altNames });
  extensions.push({ name: "subjectKeyIdentifier" });
  if (issuerCert) {
    extensions.push({
      name: "authorityKeyIdentifier",
      keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  cert.setExtensions(extensions);

  const signingKeyPem = options.issuer ? options.issuer.privateKeyPem : keys.privateKeyPem;
  const signingKey = forge.pki.privateKeyFromPem(signingKeyPem);
  cert.sign(signingKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
}

/** SHA-1 and SHA-256 thumbprints of a certificate's DER, as Entra's x5t / x5t#S256 carry them. */
export function thumbprints(certificatePem: string): { sha1: Buffer; sha256: Buffer } {
  const der = new X509Certificate(certificatePem).raw;
  return {
    sha1: createHash("sha1").update(der).digest(),
    sha256: createHash("sha256").update(der).digest(),
  };
}

export interface ClientCertificate extends CertificateWithKey {
  /** Hex SHA-1 thumbprint, as the Azure portal shows it. */
  thumbprint: string;
  thumbprintSha256: string;
}

/**
 * A self-signed certificate for an app registration's certificate credential (Entra accepts
 * self-signed ones). Register `certificatePem` on the app; give the credential both PEMs.
 */
export function createClientCertificate(commonName = "bitlocker-sim-client"): ClientCertificate {
  const issued = issueCertificate({
    commonName,
    days: 365,
    extendedKeyUsage: { clientAuth: true },
  });
  const tp = thumbprints(issued.certificatePem);
  return {
    ...issued,
    thumbprint: tp.sha1.toString("hex").toUpperCase(),
    thumbprintSha256: tp.sha256.toString("hex").toUpperCase(),
  };
}
