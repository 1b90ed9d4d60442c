import { DeliveryError, type DeliveryReceipt } from './notifier';

/**
 * POSTs JSON to a channel's URL and says whether a failure is worth retrying: the receiver being down,
 * slow, busy (429) or broken (5xx) is; a 4xx that means "this will never work" is not.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryReceipt> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'WOOM-Order-Monitor', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    throw new DeliveryError(`${new URL(url).host} unreachable: ${reason}`, false);
  }
  const text = (await response.text().catch(() => '')).slice(0, 200);
  const answer = `HTTP ${response.status}${text ? ` ${text}` : ''}`;
  if (response.ok) return { response: answer };
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw new DeliveryError(`${new URL(url).host} answered ${answer}`, !retryable);
}
