import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** An address a store's channel may not make the sidecar call: it is not on the public internet. */
export class RefusedAddressError extends Error {
  constructor(readonly host: string) {
    // The address itself is not named: the store admin reading this could otherwise map our network.
    super(`${host} is not a public internet address; WOOM only calls public addresses for Slack and webhooks`);
    this.name = 'RefusedAddressError';
  }
}

/**
 * Why an IP may not be called (ipaddr.js's range name: loopback, private, linkLocal, uniqueLocal,
 * multicast, unspecified, carrierGradeNat, reserved, ...), or null for a public unicast address.
 * IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
 */
export function nonPublicRange(ip: string): string | null {
  if (!ipaddr.isValid(ip)) return 'invalid';
  const range = ipaddr.process(ip).range();
  return range === 'unicast' ? null : range;
}

/**
 * Keeps Slack and webhook requests, whose URLs a store's admin sets, off the sidecar's own network.
 * The check is made on the addresses the connection will use (a lookup of its own handed to the socket),
 * so a name that resolves to a public address when saved and to 127.0.0.1 when called (DNS rebinding)
 * is still refused. Hosts in OUTBOUND_ALLOW (development, docker-compose, the tests) are not checked.
 */
export class OutboundGuard {
  private readonly allowed: ReadonlySet<string>;

  constructor(allow: Iterable<string> = []) {
    this.allowed = new Set([...allow].map((host) => normaliseHost(host)).filter(Boolean));
  }

  /** OUTBOUND_ALLOW: host names or IPs, separated by commas or spaces. */
  static fromList(list: string | undefined): OutboundGuard {
    return new OutboundGuard((list ?? '').split(/[\s,]+/));
  }

  isAllowed(hostname: string): boolean {
    return this.allowed.has(normaliseHost(hostname));
  }

  /**
   * What a request to `url` must use as its `lookup`; throws RefusedAddressError at once for an IP
   * literal (which the socket never looks up).
   */
  lookupFor(url: URL): LookupFunction | undefined {
    const host = normaliseHost(url.hostname);
    if (this.allowed.has(host)) return undefined;
    if (ipaddr.isValid(host)) {
      if (nonPublicRange(host)) throw new RefusedAddressError(url.hostname);
      return undefined;
    }
    return guardedLookup;
  }

  /**
   * For saving a channel: the refusal if the URL names, or now resolves to, an address off the public
   * internet. A name that does not resolve yet is accepted: every delivery checks it again.
   */
  async refusal(url: URL): Promise<RefusedAddressError | null> {
    let lookup: LookupFunction | undefined;
    try {
      lookup = this.lookupFor(url);
    } catch (error) {
      if (error instanceof RefusedAddressError) return error;
      throw error;
    }
    if (!lookup) return null;
    return new Promise((resolve) => lookup(url.hostname, { all: true }, (error) => resolve(error instanceof RefusedAddressError ? error : null)));
  }
}

/** URL hostnames keep IPv6 in brackets; the allow list and ipaddr.js do not. */
function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/**
 * A lookup that resolves as usual and refuses the connection if any address is not public (one bad
 * address among good ones would let the socket pick it).
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((a) => nonPublicRange(a.address))) {
      return callback(new RefusedAddressError(hostname) as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
