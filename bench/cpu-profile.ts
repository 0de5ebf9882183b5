// Reading a V8 .cpuprofile (what node --cpu-prof writes): self time per function, aggregated by
// function name and source location, as a flat "bottom-up" list.

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame };
export type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

export type SelfTime = Readonly<{ name: string; location: string; selfMs: number; share: number }>;
export type ProfileSummary = Readonly<{ totalMs: number; idleMs: number; busyMs: number; entries: readonly SelfTime[] }>;

/** A path inside the project or node_modules, rather than an absolute file URL. */
export function shortLocation(url: string, line: number, root: string): string {
  if (url === '') return '';
  let path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) path = path.slice(modules + 1);
  else if (path.startsWith(root)) path = path.slice(root.length).replace(/^\//, '');
  return `${path}:${line + 1}`;
}

/**
 * Each sample stands for the time until the next one (the last for the mean interval); (idle) is
 * time with nothing to run and is left out of the shares, which are of the busy time.
 */
export function summariseProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const mean = profile.samples.length === 0 ? 0 : (profile.endTime - profile.startTime) / profile.samples.length;
  const totals = new Map<string, { name: string; location: string; us: number }>();
  let idle = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? mean;
    const frame = byId.get(id);
    total += us;
    if (frame === undefined) return;
    if (frame.functionName === '(idle)') return void (idle += us);
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const location = shortLocation(frame.url, frame.lineNumber, root);
    const key = `${name} ${location}`;
    const entry = totals.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    totals.set(key, entry);
  });
  const busy = total - idle;
  const entries = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.us / 1000, share: busy === 0 ? 0 : e.us / busy }));
  return { totalMs: total / 1000, idleMs: idle / 1000, busyMs: busy / 1000, entries };
}

export function profileTable(summary: ProfileSummary, top: number): string {
  const rows = summary.entries
    .slice(0, top)
    .map(
      (e, i) =>
        `| ${i + 1} | ${(e.share * 100).toFixed(1)} % | ${e.selfMs.toFixed(0)} | \`${e.name}\` | ${e.location === '' ? '' : `\`${e.location}\``} |`,
    );
  return ['| # | self, of busy | self ms | function | where |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
