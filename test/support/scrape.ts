// Reads samples from a Prometheus text exposition.

/** The value of the sample `name{labels}` whose labels include all of `labels`; undefined if absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export async function scrape(adminUrl: string, accept?: string): Promise<{ text: string; contentType: string }> {
  const response = await fetch(`${adminUrl}/metrics`, accept === undefined ? {} : { headers: { accept } });
  return { text: await response.text(), contentType: response.headers.get('content-type') ?? '' };
}
