/**
 * A throwaway single-node OpenStack Swift with the S3 API, for the bench only (Debian bookworm's
 * packages `swift swift-proxy swift-account swift-container swift-object memcached`, Swift
 * 2.30.1; never in `npm test`). Why Swift: s3api completes a multipart upload by writing a Static Large Object
 * manifest that references the parts (s3api/controllers/multi_upload.py → SLO), with no copy of
 * their bytes, as AWS S3 completes from part metadata — where s3rver copies every part into the
 * object, a cost that grows with the recording and is not ours. s3api also enforces the 5 MiB
 * minimum part size (`min_segment_size`) and answers ListParts.
 *
 * Layout (as in Swift's "SAIO" development guide, cut to the fewest processes): one account,
 * one container and one object server, and a proxy with `s3api tempauth … slo dlo` in its
 * pipeline; each with `workers = 0` (one process, no fork), on 127.0.0.1 ports chosen here,
 * and a memcached on its own port: tempauth raises "Memcache required" for every request,
 * S3-signed ones included, when the proxy has no `cache` (swift/common/middleware/tempauth.py).
 * Rings of 1 replica and 1 device, built with swift-ring-builder in a temp directory, the
 * device a directory beside them (the object server keeps metadata in xattrs: checked first).
 * The servers read `/etc/swift/swift.conf` (the package's: hash prefix and policy 0) — Swift
 * 2.30 servers have no option to read it elsewhere — and everything else from the temp
 * directory, removed by stop().
 *
 * S3 credentials: tempauth user `bench:s3` with key `benchsecret`; the access key id is
 * `account:user` (s3api with tempauth, Swift docs "S3/Swift REST API Comparison Matrix" setup).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3Settings } from '../../src/server/storage/s3/client.ts';
import { acceptsConnection, freePort } from '../../tests/support/tcp.ts';
import { exitOnSignals } from './child.ts';

export interface SwiftS3 {
  bucket: string;
  settings: S3Settings;
  /** A client for the bench's own calls; destroyed by stop(). */
  client: S3Client;
  /** The servers' console output so far (warnings and errors: they log at WARNING). */
  output(): string;
  stop(): Promise<void>;
}

const SERVERS = ['account', 'container', 'object'] as const;
type Server = (typeof SERVERS)[number];

/** Killed and removed when this process exits without stop() (a failed or interrupted run). */
const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  exitOnSignals();
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (Debian: apt-get install swift swift-proxy swift-account swift-container swift-object memcached)`);
  // swift-ring-builder exits 1 on warnings (EXIT_WARNING), which a one-device ring always has.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
}

/** The object server stores metadata in user xattrs; tmpfs without user_xattr refuses them. */
function checkXattrs(dir: string): void {
  const r = spawnSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.swift.check", b"1")', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Swift needs user xattrs on ${dir}'s filesystem (set TMPDIR elsewhere): ${r.stderr.trim()}`);
}

/** The [DEFAULT] lines every Swift server shares: one process on 127.0.0.1, as this user. */
function defaults(port: number, swiftDir: string): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
user = ${userInfo().username}
swift_dir = ${swiftDir}
log_level = WARNING`;
}

function serverConf(kind: Server, port: number, swiftDir: string, devices: string): string {
  return `${defaults(port, swiftDir)}
devices = ${devices}
mount_check = false

[pipeline:main]
pipeline = ${kind}-server

[app:${kind}-server]
use = egg:swift#${kind}
`;
}

function proxyConf(port: number, memcachePort: number, swiftDir: string, region: string): string {
  return `${defaults(port, swiftDir)}

[pipeline:main]
pipeline = catch_errors gatekeeper proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachePort}

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = ${region}

[filter:tempauth]
use = egg:swift#tempauth
user_bench_s3 = benchsecret .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo
`;
}

export async function startSwift(bucket = 'outbox-bench'): Promise<SwiftS3> {
  hookExit();
  const dir = mkdtempSync(join(tmpdir(), 'outbox-swift-'));
  dirs.add(dir);
  const children: ChildProcess[] = [];
  const failed: string[] = [];
  let log = '';
  const stopAll = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
        const exited = new Promise((r) => c.once('exit', r));
        const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
        c.kill('SIGTERM');
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  try {
    const swiftDir = join(dir, 'etc');
    const devices = join(dir, 'srv');
    mkdirSync(swiftDir);
    mkdirSync(join(devices, 'd1'), { recursive: true });
    checkXattrs(join(devices, 'd1'));
    const ports = { account: await freePort(), container: await freePort(), object: await freePort(), proxy: await freePort(), memcache: await freePort() };
    for (const kind of SERVERS) {
      // part power 6 (64 partitions: enough for one device), 1 replica, min_part_hours 1.
      run('swift-ring-builder', [`${kind}.builder`, 'create', '6', '1', '1'], swiftDir);
      run('swift-ring-builder', [`${kind}.builder`, 'add', `r1z1-127.0.0.1:${ports[kind]}/d1`, '1'], swiftDir);
      run('swift-ring-builder', [`${kind}.builder`, 'rebalance'], swiftDir);
      writeFileSync(join(swiftDir, `${kind}-server.conf`), serverConf(kind, ports[kind], swiftDir, devices));
    }
    const region = 'us-east-1';
    writeFileSync(join(swiftDir, 'proxy-server.conf'), proxyConf(ports.proxy, ports.memcache, swiftDir, region));
    const commands: [string, string, string[]][] = [
      ['memcache', 'memcached', ['-l', '127.0.0.1', '-p', String(ports.memcache), '-U', '0', '-m', '64', '-u', userInfo().username]],
      ...[...SERVERS, 'proxy' as const].map((kind): [string, string, string[]] => [kind, `swift-${kind}-server`, [join(swiftDir, `${kind}-server.conf`), '--verbose']]),
    ];
    for (const [kind, cmd, args] of commands) {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      running.add(child);
      child.once('exit', () => running.delete(child));
      // A missing binary is an 'error' event, not an exit: without a listener it would throw.
      child.once('error', (err) => {
        running.delete(child);
        failed.push(`${cmd}: ${err.message}`);
      });
      child.stdout!.on('data', (d: Buffer) => (log += `[${kind}] ${d.toString()}`));
      child.stderr!.on('data', (d: Buffer) => (log += `[${kind}] ${d.toString()}`));
    }
    // Ready when every port accepts connections (bounded; a server that exits fails at once).
    const deadline = performance.now() + 30_000;
    for (const kind of ['memcache', ...SERVERS, 'proxy'] as const) {
      while (!(await acceptsConnection(ports[kind]))) {
        if (failed.length > 0) throw new Error(`could not start ${failed.join('; ')} (Debian: apt-get install swift swift-proxy swift-account swift-container swift-object memcached)`);
        const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
        if (dead) throw new Error(`a Swift server exited before it listened:\n${log.slice(-4000)}`);
        if (performance.now() > deadline) throw new Error(`${kind} not listening after 30 s:\n${log.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const settings: S3Settings = {
      endpoint: `http://127.0.0.1:${ports.proxy}`,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'bench:s3', secretAccessKey: 'benchsecret' },
    };
    const client = createS3Client(settings);
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      client.destroy();
      throw new Error(`CreateBucket on Swift s3api: ${(err as Error).message}\n${log.slice(-4000)}`);
    }
    return {
      bucket,
      settings,
      client,
      output: () => log,
      async stop() {
        client.destroy();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
