// A large message given on standard input goes into DATA byte for byte, whether stdin is a
// file (`< message`) or a pipe, and however its lines end: content passes through in runs,
// bare-LF lines get CRLF, and the final "." is found across read boundaries.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSink } from '../../src/sink/index.js';
import { selfSignedCertificate } from '../../src/transport/selfSigned.js';
import { runMailprobe } from '../support/runMailprobe.js';

const dir = mkdtempSync(join(tmpdir(), 'mailprobe-bulk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** About 3 MB of message lines: CRLF and bare-LF endings mixed, some starting with "..". */
function messageLines(): string[] {
  const lines: string[] = ['Subject: bulk', ''];
  for (let i = 0; lines.length < 40_000; i++) {
    lines.push(i % 997 === 0 ? `..stuffed line ${i}` : `line ${i} ${'x'.repeat(i % 150)}`);
  }
  return lines;
}

describe('bulk content from standard input', () => {
  const { certPem, keyPem } = selfSignedCertificate(['localhost', '127.0.0.1']);
  const lines = messageLines();
  // As typed in a file: every third line ends in a bare LF.
  const mixed = lines.map((line, i) => line + (i % 3 === 0 ? '\n' : '\r\n')).join('');
  // As most messages are: CRLF throughout, so no line ending changes on the way.
  const crlf = lines.map((line) => `${line}\r\n`).join('');
  // What the server must keep: CRLF everywhere, the user's ".." unstuffed to ".".
  const expected = lines.map((line) => line.replace(/^\.\./, '.') + '\r\n').join('');

  const vias = ['file', 'pipe', 'shell pipe'] as const;
  for (const [via, endings, body] of vias.flatMap((each) => [[each, 'mixed', mixed], [each, 'CRLF', crlf]] as const)) {
    const input = `EHLO bulk.test\r\nMAIL FROM:<a@bulk.test>\r\nRCPT TO:<b@bulk.test>\r\nDATA\r\n${body}.\r\nQUIT\r\n`;
    it(`arrives byte for byte over STARTTLS, stdin as a ${via}, line endings ${endings}`, async () => {
      const saveDir = join(dir, `${via.replace(' ', '-')}-${endings}`);
      const sink = await startSink({ host: '127.0.0.1', port: 0, certPem, keyPem, saveDir, maxSize: 64 << 20 });
      try {
        const file = join(dir, `input-${via.replace(' ', '-')}-${endings}.txt`);
        writeFileSync(file, input, 'latin1');
        const result = await runMailprobe(['-connect', `127.0.0.1:${sink.port}`, '-starttls', 'smtp', '-quiet'], via === 'file' ? { inputFile: file } : { input: Buffer.from(input, 'latin1'), shellPipe: via === 'shell pipe' });
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/250 2\.0\.0 Ok: queued as/);
        const saved = readdirSync(saveDir);
        expect(saved).toHaveLength(1);
        const got = readFileSync(join(saveDir, saved[0]), 'latin1');
        expect(got.length).toBe(expected.length);
        expect(got === expected).toBe(true);
      } finally {
        await sink.close(0);
      }
    });
  }
});
