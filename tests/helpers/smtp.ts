/** The SMTP catcher whose messages tests parse, from scripts/lib (the demo catches its mail with it). */
export * from '../../scripts/lib/smtp';
