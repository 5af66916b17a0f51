/**
 * A real vsftpd for tests: standalone (listen=YES) on 127.0.0.1 and a free port, its config,
 * certificate and chroot dirs in a temp dir, in the foreground so the test owns the
 * process. The system's vsftpd (/etc/vsftpd.conf, its service) is never touched.
 *
 * Facts this relies on:
 * - vsftpd takes the config file path as its one argument and, with background=NO, stays
 *   in the foreground; it checks that secure_chroot_dir exists before it listens.
 * - seccomp_sandbox=NO: its seccomp filter kills it in some containers.
 * - With ssl_enable=NO it leaves AUTH TLS out of FEAT; before a login it answers AUTH TLS
 *   (and most commands) with 530.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pki } from '../certs.js';
import { freePort, type ServerAvailability } from '../realServers.js';

export const VSFTPD = '/usr/sbin/vsftpd';

export function vsftpdAvailability(): ServerAvailability {
  if (!existsSync(VSFTPD)) return { ok: false, reason: `${VSFTPD} is missing (Debian package vsftpd)` };
  return { ok: true };
}

export interface VsftpdInstance {
  port: number;
  /** Milliseconds from spawn to the first 220 read on a connection. */
  readyMs: number;
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 10_000;

function config(dir: string, port: number, pki: Pki, tls: boolean): string {
  const lines = [
    'listen=YES',
    'listen_ipv6=NO',
    'listen_address=127.0.0.1',
    `listen_port=${port}`,
    'background=NO',
    'seccomp_sandbox=NO',
    'pasv_enable=NO',
    'port_enable=NO',
    // Anonymous login into an empty root of its own (not /srv/ftp), for :auth over TLS.
    'anonymous_enable=YES',
    `anon_root=${join(dir, 'anon')}`,
    'local_enable=NO',
    'write_enable=NO',
    `secure_chroot_dir=${join(dir, 'empty')}`,
    'xferlog_enable=NO',
    'dirmessage_enable=NO',
    `vsftpd_log_file=${join(dir, 'vsftpd.log')}`,
  ];
  if (process.getuid?.() !== 0) lines.push('run_as_launching_user=YES');
  if (tls) {
    lines.push(
      'ssl_enable=YES',
      `rsa_cert_file=${pki.leaf.cert}`,
      `rsa_private_key_file=${pki.leaf.key}`,
      'allow_anon_ssl=YES',
      'force_local_logins_ssl=NO',
      'force_local_data_ssl=NO',
      // vsftpd 3 insists on reusing the control channel's TLS session for data, irrelevant here.
      'require_ssl_reuse=NO',
    );
  } else lines.push('ssl_enable=NO');
  return `${lines.join('\n')}\n`;
}

/** Connects and reads until a "220 " line: vsftpd listens and serves. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (/^220 /m.test(text)) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

export async function startVsftpd(pki: Pki, options: { tls: boolean }): Promise<VsftpdInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-vsftpd-'));
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'anon'));
  const port = await freePort();
  const file = join(dir, 'vsftpd.conf');
  writeFileSync(file, config(dir, port, pki, options.tls));
  const started = performance.now();
  const child: ChildProcess = spawn(VSFTPD, [file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  while (!(await greets(port))) {
    if (exited || performance.now() - started > READY_WITHIN_MS) {
      await stop();
      throw new Error(`vsftpd did not greet on port ${port}${exited ? ` (it exited: ${stderr.trim() || 'no message'})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, readyMs: Math.round(performance.now() - started), stop };
}
