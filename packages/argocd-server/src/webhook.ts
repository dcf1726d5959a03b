import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ctx } from './context.js';
export async function handleWebhook(_ctx: Ctx, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.writeHead(501);
  res.end();
}
