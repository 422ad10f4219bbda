// Throwaway certificates for the TLS tests, made with the openssl command line in a temp folder:
// a test CA, an intermediate CA under it, and leaf certificates for 127.0.0.1/localhost.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  dir: string;
  /** The test CA (self-signed root). */
  ca: string;
  /** An intermediate CA, issued by the test CA. */
  intermediate: string;
  /** Leaf for 127.0.0.1 and localhost, issued by the test CA. */
  server: { cert: string; key: string };
  /** Leaf for 127.0.0.1 and localhost, issued by the intermediate (give the intermediate with it). */
  chained: { cert: string; key: string };
  /** Self-signed leaf for 127.0.0.1 and localhost: no CA vouches for it. */
  rogue: { cert: string; key: string };
  /** Leaf issued by the test CA for another name (sip.other.example) only. */
  otherName: { cert: string; key: string };
  /** The CA and the intermediate in one file. */
  bundle: string;
  remove(): void;
}

export const haveOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).error === undefined;

function run(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'didml-certs-'));
  const f = (name: string) => join(dir, name);
  writeFileSync(f('leaf.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  writeFileSync(f('other.cnf'), 'subjectAltName=DNS:sip.other.example\nbasicConstraints=CA:FALSE\n');
  writeFileSync(f('ca.cnf'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  run(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3', '-subj', '/CN=didml test CA']);
  const issue = (name: string, subject: string, ext: string, issuer: string) => {
    run(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    run(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext]);
  };
  issue('intermediate', '/CN=didml test intermediate', 'ca.cnf', 'ca');
  issue('server', '/CN=localhost', 'leaf.cnf', 'ca');
  issue('chained', '/CN=localhost', 'leaf.cnf', 'intermediate');
  issue('other', '/CN=sip.other.example', 'other.cnf', 'ca');
  run(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  writeFileSync(f('bundle.pem'), readFileSync(f('intermediate.pem'), 'utf8') + readFileSync(f('ca.pem'), 'utf8'));
  return {
    dir,
    ca: f('ca.pem'),
    intermediate: f('intermediate.pem'),
    server: { cert: f('server.pem'), key: f('server.key') },
    chained: { cert: f('chained.pem'), key: f('chained.key') },
    rogue: { cert: f('rogue.pem'), key: f('rogue.key') },
    otherName: { cert: f('other.pem'), key: f('other.key') },
    bundle: f('bundle.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
