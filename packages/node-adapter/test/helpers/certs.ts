import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throw-away self-signed certificate for 127.0.0.1 / localhost. */
export interface TestCert {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly certPath: string;
  /** Delete the temp folder. */
  remove(): void;
}

/**
 * Generate a P-256 self-signed certificate valid for one day with the
 * system's openssl (Node has no certificate generator).
 */
export function makeTestCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'fw-node-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyPath, '-out', certPath,
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    certPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
