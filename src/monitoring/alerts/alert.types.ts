import type { AlertEvent } from '../../common/events';
import { isoOrNull } from '../report-format';

export type AlertSeverity = AlertEvent['severity'];

/** One alert instance: raised when its condition starts, resolved when it ends; a new raise is a new instance. */
export interface Alert {
  id: string;
  rule: string;
  severity: AlertSeverity;
  /** What it is about (a breaker, a provider's key); absent for process-wide rules. */
  subject?: string;
  message: string;
  status: 'active' | 'resolved';
  raisedAt: number;
  /** The condition was last seen holding at this time. */
  lastSeenAt: number;
  /** Times the condition was reported while this instance was active. */
  occurrences: number;
  /** Notifications sent for this instance (raised and reminders). */
  notifications: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
}

/** What the channels are told. A reminder repeats a raise once the rule's cooldown has passed. */
export interface AlertNotification {
  kind: 'raised' | 'reminder' | 'resolved';
  alert: Readonly<Alert>;
  at: number;
}

/**
 * Where notifications go (log, webhook). deliver() must return at once and never throw: it is called
 * from event listeners and the health check, never awaited.
 */
export interface AlertChannel {
  readonly name: string;
  deliver(notification: AlertNotification): void;
  close?(): Promise<void>;
}

/** Injection token of the channels built from `alerts.channels`. */
export const ALERT_CHANNELS = Symbol('ALERT_CHANNELS');

/** The JSON form of an alert (GET /admin/alerts, GET /health active_alerts). */
export function toAlertView(alert: Readonly<Alert>): Record<string, unknown> {
  return {
    id: alert.id,
    rule: alert.rule,
    severity: alert.severity,
    subject: alert.subject ?? null,
    message: alert.message,
    status: alert.status,
    acknowledged: alert.acknowledgedAt !== undefined,
    raised_at: new Date(alert.raisedAt).toISOString(),
    last_seen_at: new Date(alert.lastSeenAt).toISOString(),
    occurrences: alert.occurrences,
    notifications: alert.notifications,
    acknowledged_at: isoOrNull(alert.acknowledgedAt),
    acknowledged_by: alert.acknowledgedBy ?? null,
    resolved_at: isoOrNull(alert.resolvedAt),
  };
}
