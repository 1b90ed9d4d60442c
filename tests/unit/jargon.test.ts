/**
 * Plain words (issue 13, item 5): the owner-facing templates and strings say nothing in our jargon. The
 * e-mail templates are left to their own pass (templates/emails and the e-mail layout partial).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JARGON, jargonIn, phpStrings, templateText, tsSentences } from '../helpers/jargon';

const ROOT = join(import.meta.dirname, '..', '..');
const EMAIL_PARTIALS = new Set(['email-layout.hbs']);

const files = (dir: string, ext: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));

const sources: Array<{ file: string; text: () => string }> = [
  ...files('templates/pages', '.hbs').map((file) => ({ file, text: () => templateText(readFileSync(join(ROOT, file), 'utf8')) })),
  ...files('templates/partials', '.hbs')
    .filter((file) => !EMAIL_PARTIALS.has(file.split('/').pop()!))
    .map((file) => ({ file, text: () => templateText(readFileSync(join(ROOT, file), 'utf8')) })),
  ...files('wp-bridge/src/Admin', '.php').map((file) => ({ file, text: () => phpStrings(readFileSync(join(ROOT, file), 'utf8')).join('\n') })),
  ...['sidecar/src/http/page-routes.ts', 'sidecar/src/http/probe-view.ts', 'sidecar/src/http/status-chart.ts', 'sidecar/src/domain/store-state.ts'].map((file) => ({
    file,
    text: () => tsSentences(readFileSync(join(ROOT, file), 'utf8')).join('\n'),
  })),
];

describe('plain words on owner-facing pages and strings', () => {
  it.each(sources.map((s) => [s.file, s] as const))('%s uses none of our jargon', (_file, source) => {
    expect(jargonIn(source.text())).toEqual([]);
  });

  it('finds every word of the list where it does appear', () => {
    // The scanners must see what they are meant to: a check that cannot fail proves nothing.
    for (const { word } of JARGON) {
      const sample = word === 'RAD' ? 'RAD' : word;
      expect(jargonIn(templateText(`<p>The ${sample} is here</p>`)), word).toHaveLength(1);
      expect(jargonIn(phpStrings(`esc_html__( 'The ${sample} is here', 'woom' )`).join('\n')), word).toHaveLength(1);
      expect(jargonIn(tsSentences(`const s = 'The ${sample} is here';`).join('\n')), word).toHaveLength(1);
    }
    expect(jargonIn(templateText('<div aria-label="Dead letters">x</div>'))).toHaveLength(1);
    expect(jargonIn(templateText('<p>{{health.snapshot.wp_cron_late_seconds}} radio threshold</p>'))).toEqual([]);
  });
});
