// The command table: every command the CLI knows, in the order the overview lists them.
import type { Command } from './command.js';
import { exportCommands } from './export-commands.js';
import { healthCommand } from './health-command.js';
import { importCommand } from './import-command.js';
import { orderCommands } from './order-commands.js';
import { productCommands } from './product-commands.js';
import { trackCommand } from './track-command.js';
import { watchCommand } from './watch-command.js';

export const commands: readonly Command[] = [
  healthCommand,
  ...productCommands,
  ...orderCommands,
  watchCommand,
  importCommand,
  trackCommand,
  ...exportCommands,
];

/** The commands of a group ("orders"), or the single command named like the group ("health"). */
export function commandsInGroup(group: string): Command[] {
  return commands.filter((command) => command.name === group || command.name.startsWith(`${group} `));
}

/** True if the group's commands need a second word, as in "orders list". */
export function takesSubcommand(group: string): boolean {
  return commandsInGroup(group).some((command) => command.name !== group);
}

export function findCommand(words: readonly string[]): Command | undefined {
  const name = words.join(' ');
  return commands.find((command) => command.name === name);
}
