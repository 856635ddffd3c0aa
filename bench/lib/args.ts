/** Command-line flags of `npm run bench -- [--quick] [--only=ingest,finalize,…] [--out=path]`. */
export const SECTIONS = ['ingest', 'finalize', 's3', 'memory', 'client', 'drain', 'bundle', 'compression', 'composite', 'swift'] as const;
export type Section = (typeof SECTIONS)[number];
/** Run only when named in --only: they need software the CI does not install (swift: Debian's Swift packages, bench/lib/swift.ts). */
export const OPT_IN: readonly Section[] = ['swift'];
const DEFAULT_SECTIONS = SECTIONS.filter((s) => !OPT_IN.includes(s));

export interface BenchArgs {
  quick: boolean;
  only: Set<Section>;
  /** Default: bench/results.json for a full run, bench/.work/results.json (ignored) with --only. */
  out: string;
  /** Also write a V8 CPU profile of our server during ingest (into bench/.work/profiles). */
  profile: boolean;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { quick: false, only: new Set(DEFAULT_SECTIONS), out: '', profile: false };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a === '--profile') args.profile = true;
    else if (a.startsWith('--out=')) args.out = a.slice(6);
    else if (a.startsWith('--only=')) {
      const wanted = a.slice(7).split(',').filter(Boolean);
      for (const w of wanted) if (!(SECTIONS as readonly string[]).includes(w)) throw new Error(`unknown section ${w}; one of ${SECTIONS.join(', ')}`);
      args.only = new Set(wanted as Section[]);
    } else throw new Error(`unknown flag ${a}`);
  }
  // A partial run (--only) writes beside the work files, not over the committed full-run figures.
  args.out ||= args.only.size === DEFAULT_SECTIONS.length && DEFAULT_SECTIONS.every((s) => args.only.has(s)) ? 'bench/results.json' : 'bench/.work/results.json';
  return args;
}
