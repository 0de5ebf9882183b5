// Reads deploy/Dockerfile into stages and instructions, and .dockerignore into a matcher, so that
// the tests can check the image's properties and rebuild its runtime file set without Docker.
// Enough of the two formats for these files: comments, line continuations, global ARGs in FROM,
// JSON (exec) form; .dockerignore patterns with *, ** and ?, `!` exceptions, last match wins,
// and a pattern matching a directory matching everything inside it (as Docker does).

export type Instruction = { keyword: string; args: string };
export type Stage = { name: string; image: string; instructions: Instruction[] };

export function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [image = '', , name] = args.replace(/\$\{(\w+)\}/g, (_, v: string) => globalArgs[v] ?? '').split(/\s+/);
      stages.push({ name: name ?? String(stages.length), image, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name = '', value = ''] = args.split('=');
      globalArgs[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

export function stage(stages: Stage[], name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (found === undefined) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
}

export const all = (s: Stage, keyword: string): string[] => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** An exec-form (JSON array) argument, e.g. ENTRYPOINT ["node"]; undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** COPY [--from=STAGE] [--chown=..] SRC... DEST */
export function parseCopy(args: string): { from?: string; sources: string[]; destination: string } {
  const words = args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const unknown = flags.filter((f) => !/^--(from|chown|chmod|link)(=|$)/.test(f));
  if (unknown.length > 0 || paths.length < 2) throw new Error(`COPY ${args}: the test understands COPY [--from=stage] SRC... DEST only`);
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from === undefined ? {} : { from }), sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** true when .dockerignore leaves `path` (relative to the context) out of the build context. */
export function dockerignored(ignoreText: string, path: string): boolean {
  const rules = ignoreText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ exclude: !l.startsWith('!'), pattern: globToRegExp(l.replace(/^!/, '').replace(/^\/+|\/+$/g, '')) }));
  const parts = path.replace(/\/+$/, '').split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const rule of rules) if (candidates.some((c) => rule.pattern.test(c))) excluded = rule.exclude;
  return excluded;
}
