import type { Alert, AlertNotification } from './alert.types';
import { LogChannel } from './log.channel';

describe(LogChannel.name, () => {
  const alert: Alert = {
    id: 'alert_7',
    rule: 'key_disabled',
    severity: 'critical',
    subject: 'groq/...0001',
    message: 'API key ...0001 of groq was disabled (auth_error)',
    status: 'active',
    raisedAt: 0,
    lastSeenAt: 0,
    occurrences: 1,
    notifications: 1,
  };
  const notice = (kind: AlertNotification['kind']): AlertNotification => ({ kind, alert, at: 0 });

  it('logs raises and reminders at the configured level and resolves at info', () => {
    const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const channel = new LogChannel('error', logger);
    channel.deliver(notice('raised'));
    channel.deliver(notice('reminder'));
    channel.deliver(notice('resolved'));
    expect(logger.error.mock.calls).toEqual([
      [
        'RAISED critical key_disabled [groq/...0001] (alert_7): API key ...0001 of groq was disabled (auth_error)',
      ],
      [
        'REMINDER critical key_disabled [groq/...0001] (alert_7): API key ...0001 of groq was disabled (auth_error)',
      ],
    ]);
    expect(logger.log.mock.calls).toEqual([
      [
        'RESOLVED critical key_disabled [groq/...0001] (alert_7): API key ...0001 of groq was disabled (auth_error)',
      ],
    ]);

    const warn = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
    new LogChannel('warn', warn).deliver(notice('raised'));
    expect([warn.warn.mock.calls.length, warn.error.mock.calls.length]).toEqual([1, 0]);
  });
});
