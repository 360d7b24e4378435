import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { CortexEvent, CortexEventBus } from '../../common/events';
import { CORTEX_CONFIG } from '../../config/config.module';
import type { CortexConfig } from '../../config/config.schema';
import { errorMessage } from '../with-timeout';
import {
  type AlertRule,
  type AlertRuleSettings,
  remindsWhileActive,
  resolveRuleSettings,
} from './alert-rules';
import {
  type Alert,
  ALERT_CHANNELS,
  type AlertChannel,
  type AlertNotification,
  type AlertSeverity,
} from './alert.types';

/** Resolved alerts kept for GET /admin/alerts; older ones drop out as new ones arrive (no cleanup timer). */
const RESOLVED_KEPT = 100;

/**
 * The alerts' life cycle (AlertConditions decides when a rule's condition holds). An alert is one
 * instance per rule and subject while its condition holds. Notifications go to every channel, never awaited:
 *  - raised: when an instance starts, unless the same rule and subject notified within its cooldown
 *    (a flapping condition does not page twice);
 *  - reminder: the condition still holds, the cooldown has passed and nobody acknowledged it;
 *  - resolved: when the condition ends, for instances whose raise was notified.
 */
@Injectable()
export class AlertManager implements OnModuleDestroy {
  private readonly logger = new Logger('Alerts');
  private readonly rules: Record<AlertRule, AlertRuleSettings>;
  private readonly active = new Map<string, Alert>();
  private readonly resolvedRing: Alert[] = [];
  /** Last notification per rule and subject, across instances: the cooldown outlives a resolve. */
  private readonly lastNotifiedAt = new Map<string, number>();
  private readonly notifiedInstances = new WeakSet<Alert>();

  constructor(
    @Inject(CORTEX_CONFIG) config: CortexConfig,
    @Inject(ALERT_CHANNELS) private readonly channels: AlertChannel[],
    private readonly bus: CortexEventBus,
    private readonly clock: Clock,
  ) {
    this.rules = resolveRuleSettings(config);
  }

  /** Reports that a rule's condition holds for `subject`; returns the active instance. */
  raise(rule: AlertRule, subject: string | undefined, message: string): Alert {
    const now = this.clock.now();
    const key = keyOf(rule, subject);
    const existing = this.active.get(key);
    if (existing) {
      existing.lastSeenAt = now;
      existing.occurrences++;
      existing.message = message;
      if (existing.acknowledgedAt === undefined && remindsWhileActive(rule))
        this.notifyIfDue(existing, 'reminder', now);
      return existing;
    }
    const settings = this.rules[rule];
    const alert: Alert = {
      id: `alert_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      rule,
      severity: settings.severity,
      message,
      status: 'active',
      raisedAt: now,
      lastSeenAt: now,
      occurrences: 1,
      notifications: 0,
    };
    if (subject !== undefined) alert.subject = subject;
    this.active.set(key, alert);
    this.bus.emit(CortexEvent.AlertRaised, {
      id: alert.id,
      rule,
      severity: alert.severity,
      subject,
      message,
      at: now,
    });
    this.notifyIfDue(alert, 'raised', now);
    return alert;
  }

  /** Reports that the condition ended: the active instance (if any) is resolved. */
  resolve(rule: AlertRule, subject: string | undefined): Alert | undefined {
    const key = keyOf(rule, subject);
    const alert = this.active.get(key);
    if (!alert) return undefined;
    const now = this.clock.now();
    this.active.delete(key);
    alert.status = 'resolved';
    alert.resolvedAt = now;
    this.resolvedRing.push(alert);
    if (this.resolvedRing.length > RESOLVED_KEPT) this.resolvedRing.shift();
    this.bus.emit(CortexEvent.AlertResolved, {
      id: alert.id,
      rule,
      severity: alert.severity,
      subject,
      message: alert.message,
      at: now,
    });
    // A resolve is news only to whoever heard of the raise.
    if (this.notifiedInstances.has(alert)) this.dispatch({ kind: 'resolved', alert, at: now });
    return alert;
  }

  /** Silences reminders of an active alert until it resolves. */
  acknowledge(id: string, by?: string): { outcome: 'acknowledged' | 'resolved'; alert: Alert } | undefined {
    const alert = this.find(id);
    if (!alert) return undefined;
    if (alert.status === 'resolved') return { outcome: 'resolved', alert };
    if (alert.acknowledgedAt === undefined) {
      alert.acknowledgedAt = this.clock.now();
      if (by !== undefined) alert.acknowledgedBy = by;
      this.logger.log(`alert ${alert.id} (${alert.rule}) acknowledged${by ? ` by ${by}` : ''}`);
    }
    return { outcome: 'acknowledged', alert };
  }

  find(id: string): Alert | undefined {
    for (const alert of this.active.values()) if (alert.id === id) return alert;
    return this.resolvedRing.find((alert) => alert.id === id);
  }

  /** Active alerts, oldest first. */
  activeAlerts(): Alert[] {
    return [...this.active.values()];
  }

  /** Recently resolved alerts, newest first. */
  resolvedAlerts(): Alert[] {
    return this.resolvedRing.slice().reverse();
  }

  activeSeverities(): AlertSeverity[] {
    return this.activeAlerts().map((alert) => alert.severity);
  }

  /** Whether an instance of the rule is active for the subject. */
  isActive(rule: AlertRule, subject: string | undefined): boolean {
    return this.active.has(keyOf(rule, subject));
  }

  /** A rule's settings as configured (severity, cooldown, thresholds). */
  settings(rule: AlertRule): AlertRuleSettings {
    return this.rules[rule];
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.channels.map((channel) => channel.close?.() ?? Promise.resolve()));
  }

  private notifyIfDue(alert: Alert, kind: 'raised' | 'reminder', now: number): void {
    const key = keyOf(alert.rule, alert.subject);
    const last = this.lastNotifiedAt.get(key);
    if (last !== undefined && now - last < this.rules[alert.rule as AlertRule].cooldownMs) return;
    this.lastNotifiedAt.set(key, now);
    alert.notifications++;
    this.notifiedInstances.add(alert);
    this.dispatch({ kind, alert, at: now });
  }

  private dispatch(notification: AlertNotification): void {
    for (const channel of this.channels) {
      try {
        channel.deliver(notification);
      } catch (error) {
        this.logger.error(`alert channel ${channel.name} failed: ${errorMessage(error)}`);
      }
    }
  }
}

function keyOf(rule: string, subject: string | undefined): string {
  return subject === undefined ? rule : `${rule}|${subject}`;
}
