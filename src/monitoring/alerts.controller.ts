import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { GatewayError } from '../common/gateway-error';
import { AlertManager } from './alerts/alert-manager.service';
import { toAlertView } from './alerts/alert.types';

/** CONTRACT §4: the alerts, for operators (admin token). */
@Controller('admin/alerts')
@UseGuards(AdminAuthGuard)
export class AlertsController {
  constructor(private readonly alerts: AlertManager) {}

  /** Active alerts (oldest first) and the recently resolved ones (newest first). */
  @Get()
  list(): Record<string, unknown> {
    return {
      active: this.alerts.activeAlerts().map(toAlertView),
      resolved: this.alerts.resolvedAlerts().map(toAlertView),
    };
  }

  /** Acknowledges an active alert: no more reminders; its resolve is still announced. Body: optional `{"by"}`. */
  @Post(':id/ack')
  @HttpCode(200)
  ack(@Param('id') id: string, @Body() body: unknown): Record<string, unknown> {
    const by = acknowledgedBy(body);
    const result = this.alerts.acknowledge(id, by);
    if (!result) {
      throw new GatewayError(404, 'not_found_error', `No alert with id ${id}.`, { code: 'alert_not_found' });
    }
    if (result.outcome === 'resolved') {
      throw new GatewayError(409, 'conflict_error', `Alert ${id} is already resolved.`, {
        code: 'alert_resolved',
      });
    }
    return toAlertView(result.alert);
  }
}

function acknowledgedBy(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const by = (body as { by?: unknown }).by;
  if (by === undefined) return undefined;
  if (typeof by !== 'string' || by.length === 0 || by.length > 200) {
    throw GatewayError.invalidRequest('`by` must be a non-empty string of at most 200 characters.', 'by');
  }
  return by;
}
