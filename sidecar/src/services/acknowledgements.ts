import { ACK_LINK_LIFETIME_MS, ackUrl, createAckToken, readAckToken, verifyAckToken, type AckClaims } from '../http/ack-token';
import type { AnyNotificationContent } from '../notify/renderer';
import type { AcknowledgeResult, AlertRecord, AlertRepository } from '../store/alerts';
import type { NotificationRecord } from '../store/notifications';
import type { StoreRecord, StoreRepository } from '../store/stores';

export type LinkCheck =
  | { ok: true; claims: AckClaims; store: StoreRecord; alert: AlertRecord }
  | { ok: false; status: 400 | 403 | 404 | 410; reason: string };

/**
 * "Acknowledge" means someone is on it: reminders and escalation stop, the resolved notice still goes
 * out. It comes from a signed link in the notice (one per recipient, expiring), from the status page or
 * from the API; each is a compare-and-set on the alert (AlertRepository.acknowledge).
 */
export class Acknowledgements {
  constructor(
    private readonly deps: {
      stores: StoreRepository;
      alerts: AlertRepository;
      publicUrl: string;
      lifetimeMs?: number;
    },
  ) {}

  /**
   * Each recipient's link for a notice that can be acknowledged (an open problem's alert, reminder or
   * escalation; never a resolved notice or a test). The expiry counts from when the notice was decided,
   * so a retry sends the same link.
   */
  async linksFor(notification: NotificationRecord<AnyNotificationContent>): Promise<((recipient: string) => string) | null> {
    const { kind } = notification.content;
    if (notification.alertId === null || notification.storeId === null || kind === 'test' || kind.endsWith('resolved')) return null;
    const store = await this.deps.stores.find(notification.storeId);
    if (!store) return null;
    const alertId = notification.alertId;
    const expiresAt = new Date(notification.createdAt.getTime() + (this.deps.lifetimeMs ?? ACK_LINK_LIFETIME_MS));
    return (recipient) => ackUrl(this.deps.publicUrl, createAckToken({ storeId: store.id, alertId, recipient, expiresAt }, store.secret));
  }

  /** A link's token, checked: forged or tampered (403), expired (410), alert gone (404). Changes nothing. */
  async check(token: string, now = new Date()): Promise<LinkCheck> {
    const claims = readAckToken(token);
    const forged = { ok: false as const, status: 403 as const, reason: 'This link is not valid: it was changed or did not come from WOOM.' };
    if (!claims) return forged;
    const store = await this.deps.stores.find(claims.storeId);
    if (!store) return forged;
    const verdict = verifyAckToken(token, store.secret, now);
    if (verdict === 'forged') return forged;
    if (verdict === 'expired') {
      return { ok: false, status: 410, reason: 'This link has expired. Acknowledge the alert from the Order Monitor status page instead.' };
    }
    const alert = await this.deps.alerts.find(claims.alertId);
    if (!alert || alert.storeId !== store.id) return { ok: false, status: 404, reason: 'This alert no longer exists.' };
    return { ok: true, claims, store, alert };
  }

  /** By whoever the link was sent to, or from the status page or the API by the person the host names (X-Woom-Actor). */
  async byStore(storeId: string, alertId: number, by: string, now = new Date()): Promise<AcknowledgeResult> {
    return this.deps.alerts.acknowledge(alertId, by, now, storeId);
  }
}
