// The self-signed certificate made without the openssl CLI: Node parses it, it verifies
// with its own key, and a real TLS client that trusts it connects by name and by address.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/transport/selfSigned.js';
import { signatureAlgorithm } from '../../src/transport/der.js';

async function handshake(pem: { certPem: string; keyPem: string }, target: { host: string; servername?: string }): Promise<{ authorized: boolean; error?: Error }> {
  const server = createServer({ cert: pem.certPem, key: pem.keyPem }, (socket) => socket.end('hello\n'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const socket = connect({ port, ...target, ca: pem.certPem });
    return await new Promise((resolve) => {
      socket.on('secureConnect', () => {
        resolve({ authorized: socket.authorized, error: socket.authorizationError ?? undefined });
        socket.destroy();
      });
      socket.on('error', (error) => resolve({ authorized: false, error }));
    });
  } finally {
    server.close();
  }
}

describe('selfSignedCertificate names', () => {
  it('writes IDN names in their ASCII form and every IP address family', () => {
    const cert = new X509Certificate(selfSignedCertificate(['bücher.example', '2001:db8::8:800:200c:417a', '::ffff:192.0.2.1', '192.0.2.7'], 1, 'ec').certPem);
    expect(cert.subjectAltName).toBe('DNS:xn--bcher-kva.example, IP Address:2001:DB8:0:0:8:800:200C:417A, IP Address:0:0:0:0:0:FFFF:C000:201, IP Address:192.0.2.7');
    expect(cert.checkIP('192.0.2.7')).toBe('192.0.2.7');
    expect(() => selfSignedCertificate(['bad name'])).toThrow(RangeError);
  });
});

describe.each(['rsa', 'ec'] as const)('selfSignedCertificate (%s)', (keyType) => {
  const pem = selfSignedCertificate(undefined, 30, keyType);
  const x509 = new X509Certificate(pem.certPem);

  it('parses, with subject = issuer = CN of the first name', () => {
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.issuer).toBe('CN=localhost');
    expect(x509.ca).toBe(false);
  });

  it('lists every name in the subjectAltName', () => {
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkHost('example.com')).toBeUndefined();
  });

  it('is valid from an hour ago for the given days', () => {
    const from = new Date(x509.validFrom).getTime();
    const to = new Date(x509.validTo).getTime();
    expect(Math.abs(from - (Date.now() - 3600_000))).toBeLessThan(120_000);
    expect(Math.abs(to - (Date.now() + 30 * 86400_000))).toBeLessThan(120_000);
  });

  it('verifies with its own key, which matches the private key', () => {
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(pem.keyPem))).toBe(true);
    expect(x509.publicKey.asymmetricKeyType).toBe(keyType);
    expect(signatureAlgorithm(x509.raw)).toBe(keyType === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption');
    expect(x509.keyUsage ?? []).toEqual(['1.3.6.1.5.5.7.3.1']); // Node names extKeyUsage "keyUsage"
  });

  it('has a random positive serial', () => {
    const other = new X509Certificate(selfSignedCertificate(['localhost'], 1, keyType).certPem);
    expect(x509.serialNumber).not.toBe(other.serialNumber);
    expect(parseInt(x509.serialNumber[0], 16)).toBeLessThan(8);
  });

  it.each([
    { host: 'localhost', servername: 'localhost' },
    { host: '127.0.0.1' },
  ])('a TLS client that trusts it connects to $host', async (target) => {
    const result = await handshake(pem, target);
    expect(result.error ?? undefined).toBeUndefined();
    expect(result.authorized).toBe(true);
  });

  it('is refused for a name it does not carry', async () => {
    const result = await handshake(pem, { host: '127.0.0.1', servername: 'mail.example.com' });
    expect(result.authorized).toBe(false);
  });
});

describe('selfSignedCertificate options', () => {
  it('takes other names and far-off expiry dates (GeneralizedTime after 2049)', () => {
    const pem = selfSignedCertificate(['mx.test', 'mail.test', '192.0.2.7', '2001:db8::25'], 365 * 40, 'ec');
    const x509 = new X509Certificate(pem.certPem);
    expect(x509.subject).toBe('CN=mx.test');
    expect(x509.subjectAltName).toBe('DNS:mx.test, DNS:mail.test, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:25');
    expect(new Date(x509.validTo).getUTCFullYear()).toBeGreaterThanOrEqual(2050);
    expect(x509.verify(x509.publicKey)).toBe(true);
  });

  it('refuses an empty name list', () => {
    expect(() => selfSignedCertificate([])).toThrow(RangeError);
  });
});
