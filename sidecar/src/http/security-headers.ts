import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Headers for every answer, HTML above all (helmet's defaults plus a policy of our own):
 * - no script but files served from the sidecar itself: a page may never carry inline script, so an
 *   escaping slip in a template cannot run code; inline styles stay allowed (the pages and their
 *   charts use style attributes);
 * - frame-ancestors 'none': WordPress embeds the pages by fetching their HTML server-side through its
 *   own proxy, never in a frame, so no site may frame the sidecar (clickjacking the acknowledge button);
 * - forms post only to the sidecar; no Referer ever leaves (an acknowledge link carries its token).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
