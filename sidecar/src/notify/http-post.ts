import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError, type DeliveryReceipt } from './notifier';
import { RefusedAddressError, type OutboundGuard } from './outbound-guard';

/**
 * POSTs JSON to a channel's URL and says whether a failure is worth retrying: the receiver being down,
 * slow, busy (429) or broken (5xx) is; a 4xx that means "this will never work", a redirect (never
 * followed) or an address off the public internet is not. The answer names the status only: the
 * receiver's body is never shown back to the store (it could be a page of an internal service).
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, guard: OutboundGuard): Promise<DeliveryReceipt> {
  const target = new URL(url);
  let status: number;
  try {
    status = await post(target, body, headers, timeoutMs, guard);
  } catch (error) {
    if (error instanceof RefusedAddressError) throw new DeliveryError(`${target.host} refused: ${error.message}`, true);
    const timedOut = (error as Error).name === 'TimeoutError' || ((error as Error).cause as Error | undefined)?.name === 'TimeoutError';
    const reason = timedOut ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    throw new DeliveryError(`${target.host} unreachable: ${reason}`, false);
  }
  const answer = `HTTP ${status}`;
  if (status >= 200 && status < 300) return { response: answer };
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new DeliveryError(`${target.host} answered ${answer}`, !retryable);
}

function post(target: URL, body: string, headers: Record<string, string>, timeoutMs: number, guard: OutboundGuard): Promise<number> {
  const lookup = guard.lookupFor(target);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'WOOM-Order-Monitor', 'Content-Length': Buffer.byteLength(body), ...headers },
        signal: AbortSignal.timeout(timeoutMs),
        ...(lookup ? { lookup } : {}),
      },
      (res: IncomingMessage) => {
        // Read and dropped: the status is the answer.
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) reject(new Error('the connection closed before the answer ended'));
        });
      },
    );
    req.on('error', (error) => reject(error.cause instanceof RefusedAddressError ? error.cause : error));
    req.end(body);
  });
}
