/** Command groups of the `seal` CLI. Each module owns its group's sub-commands. */
import { pdfCommand } from './pdf.js';
import { jsonCommand } from './json.js';
import { sesCommand } from './ses.js';
import { ofdCommand } from './ofd.js';
import { serveCommand } from './serve.js';
import { registryCommand } from './registry.js';
import { batchCommand } from './batch.js';

export type Command = (argv: string[]) => Promise<number>;

export const COMMANDS: Readonly<Record<string, Command>> = {
  pdf: pdfCommand,
  json: jsonCommand,
  ses: sesCommand,
  ofd: ofdCommand,
  serve: serveCommand,
  registry: registryCommand,
  batch: batchCommand,
};
