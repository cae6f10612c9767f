/**
 * Command groups of the `seal` CLI. Each module owns its group's sub-commands and is loaded only
 * when used, so `seal --help` or `seal ses verify` do not pay for loading the PDF or API code.
 */
export type Command = (argv: string[]) => Promise<number>;

export const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  pdf: async () => (await import('./pdf.js')).pdfCommand,
  json: async () => (await import('./json.js')).jsonCommand,
  ses: async () => (await import('./ses.js')).sesCommand,
  ofd: async () => (await import('./ofd.js')).ofdCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  registry: async () => (await import('./registry.js')).registryCommand,
  batch: async () => (await import('./batch.js')).batchCommand,
};
