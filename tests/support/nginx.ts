/**
 * Debian's nginx as a round-robin proxy on 127.0.0.1 in front of N upstream ports, with the
 * configuration of docs/SCALE-OUT.md §"Three nodes behind nginx" (streamed request bodies, no
 * response buffering, keep-alive to the nodes), in a temp prefix, as any user (no root: the
 * prefix, pid file, temp paths and logs are all in the temp directory).
 *
 * `startNginx()` waits until the proxy accepts connections (a condition, not a clock) and fails
 * with nginx's own output when it exits first; stop() sends SIGQUIT (graceful) and removes the
 * prefix. Tests see which node took each request in `upstreamLog()` (nginx's access log with
 * `$upstream_addr`; the operator's config in the doc keeps `access_log off`).
 *
 * A missing binary is a failure with the install command, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES } from '../../src/shared/api.ts';
import { acceptsConnection, freePort } from './tcp.ts';

export const NGINX_BIN = '/usr/sbin/nginx';

export interface Nginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** One line per proxied request: the upstream it went to (`127.0.0.1:port`, or several tried, comma-separated), method, status, URI. */
  upstreamLog(): { upstream: string; method: string; status: number; uri: string }[];
  /** nginx's stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Largest request body nginx lets through; the server's own limit (16 MiB) + headers. */
  clientMaxBodySize?: string;
  /**
   * Test-only: chunk POSTs go to an upstream chosen by the parity of their `index` (even → the
   * first, odd → the second) instead of round robin, so one recording's chunks alternate between
   * two nodes whatever other requests interleave with them; everything else stays round robin.
   */
  chunksByIndexParity?: boolean;
}

/** The proxy configuration of docs/SCALE-OUT.md, plus a test-only access log of upstreams. */
export function nginxConfig(prefix: string, port: number, upstreams: readonly number[], opts: NginxOptions = {}): string {
  const servers = upstreams.map((p) => `server 127.0.0.1:${p};`).join(' ');
  if (opts.chunksByIndexParity && upstreams.length < 2) throw new Error('nginx: chunksByIndexParity needs two upstreams');
  // A variable proxy_pass names an upstream group when one has that name (ngx_http_proxy_module).
  const parity = opts.chunksByIndexParity
    ? `  upstream outbox_even { server 127.0.0.1:${upstreams[0]}; keepalive 8; }
  upstream outbox_odd { server 127.0.0.1:${upstreams[1]}; keepalive 8; }
  map "$request_method $uri $arg_index" $outbox_pool {
    "~^POST ${ROUTES.chunk} [0-9]*[02468]$" outbox_even;
    "~^POST ${ROUTES.chunk} [0-9]*[13579]$" outbox_odd;
    default outbox;
  }
`
    : '';
  return `worker_processes 1;
error_log stderr warn;
${process.getuid?.() === 0 ? '# Running as root: workers would switch to "nobody", who cannot write the temp prefix.\nuser root;\n' : ''}pid ${join(prefix, 'nginx.pid')};
events { worker_connections 1024; }
http {
  log_format upstreams '$upstream_addr $request_method $status $request_uri';
  access_log ${join(prefix, 'upstream.log')} upstreams;
  client_body_temp_path ${join(prefix, 'body')}; proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')}; uwsgi_temp_path ${join(prefix, 'uwsgi')}; scgi_temp_path ${join(prefix, 'scgi')};
  upstream outbox { ${servers} keepalive 32; }
${parity}  server {
    listen 127.0.0.1:${port};
    client_max_body_size ${opts.clientMaxBodySize ?? '17m'};
    location / {
      proxy_pass http://${opts.chunksByIndexParity ? '$outbox_pool' : 'outbox'};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

/** Resolves once something accepts a TCP connection on the port; false if `alive()` turns false first. */
async function accepting(port: number, alive: () => boolean, deadline: number): Promise<boolean> {
  for (let delay = 5; alive() && Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
    if (await acceptsConnection(port)) return true;
    // Backoff between connection attempts while nginx binds (it has no readiness line to wait for).
    await new Promise((r) => setTimeout(r, delay));
  }
  return false;
}

function assertBinary(): void {
  if (!existsSync(NGINX_BIN)) {
    throw new Error(`nginx not found at ${NGINX_BIN}. Install Debian's nginx package (apt-get install -y nginx); it runs from a temp prefix, no root and no service needed.`);
  }
}

export async function startNginx(upstreams: readonly number[], opts: NginxOptions = {}): Promise<Nginx> {
  assertBinary();
  const prefix = mkdtempSync(join(tmpdir(), 'outbox-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d));
  let child: ChildProcess | null = null;
  let stderr = '';
  const kill = () => child?.kill('SIGKILL');
  process.once('exit', kill);
  try {
    // The port is free when we look; another process may take it first, so retry on a bind failure.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const conf = join(prefix, 'nginx.conf');
      writeFileSync(conf, nginxConfig(prefix, port, upstreams, opts));
      // -e: the error log before the config is read (default /var/log/nginx/error.log, not ours).
      child = spawn(NGINX_BIN, ['-p', prefix, '-e', 'stderr', '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const c = child;
      c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.once('error', (err) => (stderr += `spawn failed: ${err.message}\n`));
      const alive = () => c.exitCode === null && c.signalCode === null;
      if (await accepting(port, alive, Date.now() + 15_000)) {
        let stopped = false;
        return {
          url: `http://127.0.0.1:${port}`,
          port,
          output: () => stderr,
          upstreamLog() {
            const file = join(prefix, 'upstream.log');
            if (!existsSync(file)) return [];
            return readFileSync(file, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => {
                const [upstream = '', method = '', status = '0', uri = ''] = line.split(' ');
                return { upstream, method, status: Number(status), uri };
              });
          },
          async stop() {
            if (stopped) return;
            stopped = true;
            // SIGQUIT: graceful shutdown (nginx(8)); SIGKILL if it lingers.
            const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
            if (alive()) c.kill('SIGQUIT');
            await exited;
            clearTimeout(timer);
            process.removeListener('exit', kill);
            rmSync(prefix, { recursive: true, force: true });
          },
        };
      }
      if (alive()) c.kill('SIGKILL');
      await exited;
      if (attempt >= 3 || !/Address already in use/.test(stderr)) throw new Error(`nginx did not start:\n${stderr.slice(-4000)}`);
      stderr = '';
    }
  } catch (err) {
    process.removeListener('exit', kill);
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
}
