import { TemplateSet } from '../templates';
import type { NotificationContent } from './content';
import type { HealthContent } from './health-content';
import type { ReportingContent } from './reporting-content';

/** Every kind of notification the sidecar sends. */
export type AnyNotificationContent = NotificationContent | ReportingContent | HealthContent;
import type { OutgoingMessage } from './notifier';

/** Notification e-mails from templates/emails, as HTML and plain text. */
export class EmailRenderer {
  private readonly templates: TemplateSet;

  constructor(templatesDir: string) {
    this.templates = new TemplateSet(templatesDir, 'emails');
  }

  render(content: AnyNotificationContent): OutgoingMessage {
    const template = content.kind === 'reminder' ? 'alert' : content.kind;
    return {
      subject: subjectOf(content),
      html: this.templates.render(`${template}.html`, content),
      text: this.templates.render(`${template}.text`, content),
    };
  }
}

function subjectOf(content: AnyNotificationContent): string {
  const store = content.store.name;
  switch (content.kind) {
    case 'blind':
      return `[WOOM CRITICAL] WordPress stopped reporting at ${store}`;
    case 'blind_resolved':
      return `[WOOM] Resolved: WordPress is reporting again at ${store}`;
    case 'health':
      return `[WOOM CRITICAL] Checkout cannot work at ${store}: ${content.problems[0] ?? ''}`.trim();
    case 'health_resolved':
      return `[WOOM] Resolved: checkout can work again at ${store}`;
    case 'test':
      return `[WOOM] Test notification for ${store}`;
    case 'resolved':
      return `[WOOM] Resolved: orders are back to normal at ${store}`;
    case 'reminder':
      return `[WOOM ${content.severity.toUpperCase()}] Still ongoing: ${content.headline} at ${store}`;
    case 'alert':
      return `[WOOM ${content.severity.toUpperCase()}] ${content.headline} at ${store}`;
  }
}
