/**
 * Our words, not the shop owner's (issue 13): none of them may appear on an owner-facing page or in an
 * owner-facing string. `tests/unit/jargon.test.ts` scans the sources; browser tests scan what they render.
 */
export const JARGON: ReadonlyArray<{ word: string; pattern: RegExp }> = [
  { word: 'sidecar', pattern: /\bsidecars?\b/i },
  { word: 'outbox', pattern: /\boutbox(es)?\b/i },
  { word: 'dead letter', pattern: /\bdead[ -]letters?\b/i },
  { word: 'RAD', pattern: /\bRAD\b/ },
  { word: 'heartbeat', pattern: /\bheartbeats?\b/i },
  { word: 'IANA', pattern: /\bIANA\b/i },
  { word: 'WP-Cron', pattern: /\bWP[- ]?Cron\b/i },
  { word: 'hold', pattern: /\bhold\b/i },
  { word: 'breached', pattern: /\bbreach(ed)?\b/i },
  { word: 'windowStart', pattern: /\bwindowStart\b/ },
  { word: 'failureSharePct', pattern: /\bfailureSharePct\b/ },
];

/** Each jargon word found in `text`, with a little context. */
export function jargonIn(text: string): string[] {
  const found: string[] = [];
  for (const { word, pattern } of JARGON) {
    const match = pattern.exec(text);
    if (match) found.push(`${word}: "…${text.slice(Math.max(0, match.index - 30), match.index + match[0].length + 30).replace(/\s+/g, ' ')}…"`);
  }
  return found;
}

/** What a person reads of a template: its text, and the labels a screen reader speaks; not its code. */
export function templateText(source: string): string {
  return source
    .replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/\{\{[\s\S]*?\}\}/g, ' ')
    .replace(/<(style|script)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, (tag) => [...tag.matchAll(/\b(?:aria-label|title|alt|placeholder)="([^"]*)"/g)].map((m) => ` ${m[1]} `).join('') || ' ');
}

/** The translatable strings of a PHP file: what WordPress shows the admin. */
export function phpStrings(source: string): string[] {
  const strings: string[] = [];
  const call = /\b(?:__|_e|_x|_n|esc_html__|esc_html_e|esc_attr__|esc_attr_e|esc_html_x)\(\s*((?:'(?:[^'\\]|\\.)*'\s*,\s*)+)/g;
  for (const m of source.matchAll(call)) for (const s of m[1]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)) strings.push(s[1]!.replace(/\\'/g, "'"));
  return strings.filter((s) => s !== 'woom');
}

/** String literals of a TypeScript module that read as words (they hold a space): the sentences it shows. */
export function tsSentences(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return [...code.matchAll(/'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)].map((m) => (m[1] ?? m[2] ?? '').replace(/\$\{[^}]*\}/g, ' ')).filter((s) => s.includes(' '));
}

