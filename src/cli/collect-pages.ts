// Follows next_page_token for `list --all`: one call per page, each with its own deadline.
export type Page<T> = Readonly<{ items: readonly T[]; nextPageToken: string }>;

export async function collectPages<T>(firstToken: string, fetchPage: (pageToken: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token = firstToken;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token !== '');
  return items;
}
