// Secret references in a YAML config document, found the way the config loader finds them.

export type FileReference = { path: string; set(to: string): void };

/** Every { fromFile: PATH } in a parsed document, with a setter that points it at another file. */
export function fileReferences(node: unknown, found: FileReference[] = []): FileReference[] {
  if (Array.isArray(node)) node.forEach((child) => fileReferences(child, found));
  else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (typeof record.fromFile === 'string' && Object.keys(record).length === 1)
      found.push({ path: record.fromFile, set: (to) => (record.fromFile = to) });
    else Object.values(record).forEach((child) => fileReferences(child, found));
  }
  return found;
}
