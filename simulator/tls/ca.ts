// The simulator's own CA, kept on disk so NODE_EXTRA_CA_CERTS can name it before any Node
// process that must trust the simulator starts; server certificates are issued from it.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { issueCertificate, type CertificateWithKey } from "./certificates";

export const CA_CERT_FILE = "ca.pem";
export const CA_KEY_FILE = "ca-key.pem";
const LOCK_FILE = ".ca.lock";
const CA_DAYS = 3650;
/** Renew a CA that expires within this many days. */
const RENEW_BEFORE_DAYS = 7;
const STALE_LOCK_MS = 30_000;

export interface CaFiles {
  certPath: string;
  keyPath: string;
}

export interface LoadedCa extends CaFiles, CertificateWithKey {}

export function defaultCaDir(): string {
  return path.join(process.cwd(), ".sim");
}

/** Creates the CA in caDir if it is missing (or unusable); reuses it otherwise. */
export async function ensureCa(caDir: string = defaultCaDir()): Promise<CaFiles> {
  const ca = await loadOrCreateCa(caDir);
  return { certPath: ca.certPath, keyPath: ca.keyPath };
}

export async function loadOrCreateCa(caDir: string = defaultCaDir()): Promise<LoadedCa> {
  const dir = path.resolve(caDir);
  const certPath = path.join(dir, CA_CERT_FILE);
  const keyPath = path.join(dir, CA_KEY_FILE);
  const existing = await readUsableCa(certPath, keyPath);
  if (existing) return { certPath, keyPath, ...existing };

  await fs.mkdir(dir, { recursive: true });
  // Several processes may start at once (a test runner and its servers): one creates.
  const release = await acquireLock(path.join(dir, LOCK_FILE));
  try {
    const again = await readUsableCa(certPath, keyPath);
    if (again) return { certPath, keyPath, ...again };
    const ca = issueCertificate({
      commonName: "bitlocker-sim local CA",
      days: CA_DAYS,
      isCa: true,
    });
    await writeAtomically(keyPath, ca.privateKeyPem, 0o600);
    await writeAtomically(certPath, ca.certificatePem, 0o644);
    return { certPath, keyPath, ...ca };
  } finally {
    await release();
  }
}

/** A fresh server certificate for the loopback names, issued by the CA. */
export function issueServerCertificate(ca: CertificateWithKey, host: string): CertificateWithKey {
  const dnsNames = ["localhost"];
  const ipAddresses = ["127.0.0.1", "::1"];
  if (/^[\d.]+$/.test(host) || host.includes(":")) {
    if (!ipAddresses.includes(host)) ipAddresses.push(host);
  } else if (!dnsNames.includes(host)) {
    dnsNames.push(host);
  }
  return issueCertificate({
    commonName: "localhost",
    days: 30,
    dnsNames,
    ipAddresses,
    issuer: ca,
    extendedKeyUsage: { serverAuth: true },
  });
}

async function readUsableCa(certPath: string, keyPath: string): Promise<CertificateWithKey | null> {
  let certificatePem: string;
  let privateKeyPem: string;
  try {
    [certificatePem, privateKeyPem] = await Promise.all([
      fs.readFile(certPath, "utf8"),
      fs.readFile(keyPath, "utf8"),
    ]);
  } catch {
    return null;
  }
  try {
    const cert = new X509Certificate(certificatePem);
    const renewAt = Date.parse(cert.validTo) - RENEW_BEFORE_DAYS * 24 * 60 * 60 * 1000;
    if (!cert.ca || Date.now() > renewAt) return null;
    if (!cert.checkPrivateKey(createPrivateKey(privateKeyPem))) return null;
  } catch {
    return null;
  }
  return { certificatePem, privateKeyPem };
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content, { mode });
  await fs.rename(tmp, file);
}

async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, "wx");
      await handle.close();
      return () => fs.rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const stat = await fs.stat(lockPath).catch(() => null);
      if (stat && Date.now() - stat.mtimeMs > STALE_LOCK_MS) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for the CA lock ${lockPath}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
