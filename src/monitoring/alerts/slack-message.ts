import type { AlertNotification } from './alert.types';

/** Slack's legacy attachment colours: danger for critical, warning, good for a resolve. */
const COLOURS = { critical: '#d00000', warning: '#f2c744', info: '#439fe0', resolved: '#2eb67d' } as const;

/**
 * The Slack-compatible webhook body (incoming webhooks accept `text` plus `attachments`); other
 * receivers (Mattermost, Rocket.Chat, a generic JSON endpoint) take the same shape, and `alert`
 * carries the machine-readable fields for receivers that are not chat tools.
 */
export function slackMessage({ kind, alert, at }: AlertNotification): Record<string, unknown> {
  const resolved = kind === 'resolved';
  const label = resolved
    ? 'RESOLVED'
    : kind === 'reminder'
      ? `${alert.severity.toUpperCase()} (still firing)`
      : alert.severity.toUpperCase();
  const subject = alert.subject ? ` ${alert.subject}` : '';
  const fields = [
    { title: 'Severity', value: alert.severity, short: true },
    { title: 'Rule', value: alert.rule, short: true },
    { title: 'Raised', value: new Date(alert.raisedAt).toISOString(), short: true },
    { title: 'Alert id', value: alert.id, short: true },
  ];
  if (alert.subject) fields.splice(2, 0, { title: 'Subject', value: alert.subject, short: true });
  if (resolved && alert.resolvedAt !== undefined) {
    fields.push({ title: 'Resolved', value: new Date(alert.resolvedAt).toISOString(), short: true });
  }
  return {
    text: `[${label}] Cortex ${alert.rule}${subject}: ${alert.message}`,
    attachments: [
      {
        color: resolved ? COLOURS.resolved : COLOURS[alert.severity],
        title: `Cortex alert ${resolved ? 'resolved' : kind}: ${alert.rule}${subject}`,
        text: alert.message,
        fields,
        ts: Math.floor(at / 1000),
      },
    ],
    alert: {
      id: alert.id,
      event: kind,
      rule: alert.rule,
      severity: alert.severity,
      subject: alert.subject ?? null,
      message: alert.message,
      raised_at: alert.raisedAt,
      resolved_at: alert.resolvedAt ?? null,
    },
  };
}
