import { ensureEmbeddedTemplate } from './embedded-template.js';

export default async function setup(): Promise<void> {
  await ensureEmbeddedTemplate();
}
