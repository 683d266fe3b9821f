/** The HTTP side of a download: one GET (redirects, Range) and reading a ranged answer. */
import * as http from 'node:http';
import * as https from 'node:https';
import { UsageError } from '../errors.js';
import type { Context } from './config.js';
import { where } from './messages.js';

const MAX_REDIRECTS = 10;

/** GET with redirects followed by hand: capped, http(s) only, Range re-sent on every hop. */
export async function get(ctx: Context, offset: number, signal: AbortSignal): Promise<http.IncomingMessage> {
  let url = new URL(ctx.url);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`${where(ctx)}: redirected to unsupported URL scheme ${url.protocol}`);
    }
    const headers: http.OutgoingHttpHeaders = {
      'user-agent': 'tts-critic (model zoo)',
      // Byte counts and Range only make sense on the file itself, never a compressed form.
      'accept-encoding': 'identity',
    };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http;
      // agent: false: a fresh connection per request, so no keep-alive socket outlives us.
      const request = client.get(url, { headers, signal, agent: false }, resolve);
      request.on('error', reject);
    });
    const status = response.statusCode ?? 0;
    if (![301, 302, 303, 307, 308].includes(status)) return response;
    response.resume();
    const location = response.headers.location;
    if (!location) throw new UsageError(`${where(ctx)}: HTTP ${status} redirect without a Location header`);
    if (hop >= MAX_REDIRECTS) throw new UsageError(`${where(ctx)}: more than ${MAX_REDIRECTS} redirects`);
    url = new URL(location, url);
  }
}

/**
 * Does this answer to a resume request say our partial file is useless? (Errors such as 404 or
 * 503 do not: they are reported and the partial file is kept.)
 */
export function cannotContinue(response: http.IncomingMessage, offset: number): boolean {
  const status = response.statusCode;
  if (status === 200 || status === 416) return true;
  return status === 206 && parseContentRange(response.headers['content-range'])?.start !== offset;
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`, unknown); undefined for anything else. */
export function parseContentRange(header: string | undefined): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[3] === '*' ? {} : { total: Number(match[3]) }) };
}
