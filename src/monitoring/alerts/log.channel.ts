import { Logger } from '@nestjs/common';
import type { AlertChannel, AlertNotification } from './alert.types';

export type LogChannelLevel = 'info' | 'warn' | 'error';

/** Writes each notification to the application log: raises at the configured level, resolves at info. */
export class LogChannel implements AlertChannel {
  readonly name = 'log';

  constructor(
    private readonly level: LogChannelLevel,
    private readonly logger: Pick<Logger, 'log' | 'warn' | 'error'> = new Logger('Alerts'),
  ) {}

  deliver({ kind, alert }: AlertNotification): void {
    const subject = alert.subject ? ` [${alert.subject}]` : '';
    const line = `${kind.toUpperCase()} ${alert.severity} ${alert.rule}${subject} (${alert.id}): ${alert.message}`;
    if (kind === 'resolved' || this.level === 'info') this.logger.log(line);
    else if (this.level === 'warn') this.logger.warn(line);
    else this.logger.error(line);
  }
}
