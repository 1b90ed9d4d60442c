import { TemplateSet } from '../templates';
import type { NotificationContent } from './content';
import type { AllStoresDigestContent, DigestNotificationContent } from './digest-content';
import type { HealthContent } from './health-content';
import type { ProbeContent } from './probe-content';
import type { ReportingContent } from './reporting-content';
import type { SalesContent } from './sales-content';

/** Every kind of notification the sidecar sends. */
export type AnyNotificationContent = NotificationContent | ReportingContent | HealthContent | ProbeContent | DigestNotificationContent | AllStoresDigestContent | SalesContent;
import type { OutgoingMessage } from './notifier';

/** Notification e-mails from templates/emails, as HTML and plain text. */
export class EmailRenderer {
  private readonly templates: TemplateSet;

  constructor(templatesDir: string) {
    this.templates = new TemplateSet(templatesDir, 'emails');
  }

  /** `ackUrl`: this recipient's signed acknowledge link, for the notices that can be acknowledged. */
  render(content: AnyNotificationContent, ackUrl: string | null = null): OutgoingMessage {
    const template = content.kind === 'reminder' || content.kind === 'escalation' ? 'alert' : content.kind;
    const context = { ...content, ackUrl };
    return {
      subject: subjectOf(content),
      html: this.templates.render(`${template}.html`, context),
      text: this.templates.render(`${template}.text`, context),
    };
  }
}

function subjectOf(content: AnyNotificationContent): string {
  if (content.kind === 'all_stores_digest') return `[WOOM] All stores on ${content.day}: ${content.headline}`;
  const store = content.store.name;
  switch (content.kind) {
    case 'digest':
      return `[WOOM] ${store} yesterday (${content.weekday} ${content.day}): ${content.headline}`;
    case 'weekly_digest':
      return `[WOOM] ${store}, week of ${content.from} to ${content.to}: ${content.headline}`;
    case 'blind':
      return `[WOOM CRITICAL] WordPress stopped reporting at ${store}`;
    case 'blind_resolved':
      return `[WOOM] Resolved: WordPress is reporting again at ${store}`;
    case 'health':
      return `[WOOM CRITICAL] Checkout cannot work at ${store}: ${content.problems[0] ?? ''}`.trim();
    case 'health_resolved':
      return `[WOOM] Resolved: checkout can work again at ${store}`;
    case 'probe':
      return `[WOOM CRITICAL] Store probe: ${content.headline} at ${store}`;
    case 'probe_resolved':
      return `[WOOM] Resolved: the store probe passes again at ${store} (${content.headline})`;
    case 'test':
      return `[WOOM] Test notification for ${store}`;
    case 'sale':
      return `[WOOM] Sale at ${store}`;
    case 'sales':
      return `[WOOM] Sales at ${store}`;
    case 'resolved':
      return `[WOOM] Resolved: orders are back to normal at ${store}`;
    case 'reminder':
      return `[WOOM ${content.severity.toUpperCase()}] Still ongoing: ${content.headline} at ${store}`;
    case 'escalation':
      return `[WOOM ${content.severity.toUpperCase()}] Escalated, not acknowledged: ${content.headline} at ${store}`;
    case 'alert':
      return `[WOOM ${content.severity.toUpperCase()}] ${content.upgradedFrom ? 'Now critical: ' : ''}${content.headline} at ${store}`;
  }
}
