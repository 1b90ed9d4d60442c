import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { PROJECT_ROOT } from './paths';

/**
 * A private Handlebars instance over templates/: partials and helpers registered once, each template
 * compiled on first use and cached. E-mails and pages each get one.
 */
export class TemplateSet {
  private readonly handlebars = Handlebars.create();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(
    private readonly dir: string,
    private readonly folder: 'emails' | 'pages' | 'console',
  ) {
    this.handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.handlebars.registerHelper('inc', (n: unknown) => (typeof n === 'number' ? n + 1 : n));
    this.handlebars.registerHelper('includes', (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value));
    this.handlebars.registerHelper('join', (list: unknown, separator: unknown) =>
      Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : '',
    );
    const partials = join(dir, 'partials');
    for (const file of readdirSync(partials)) {
      if (file.endsWith('.hbs')) this.handlebars.registerPartial(file.slice(0, -4), readFileSync(join(partials, file), 'utf8'));
    }
  }

  /** `name` without extension, e.g. "alert.html"; a ".text" template is not HTML-escaped. */
  render(name: string, context: unknown): string {
    let template = this.compiled.get(name);
    if (!template) {
      const source = readFileSync(join(this.dir, this.folder, `${name}.hbs`), 'utf8');
      template = this.handlebars.compile(source, { noEscape: name.endsWith('.text') });
      this.compiled.set(name, template);
    }
    return template(context);
  }
}

export const TEMPLATES_DIR = join(PROJECT_ROOT, 'templates');
