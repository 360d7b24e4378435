import type { RandomSource } from '../../common/random';
import type { CortexConfig } from '../../config/config.schema';
import type { AlertChannel } from './alert.types';
import { LogChannel } from './log.channel';
import { WebhookChannel } from './webhook.channel';

/** The channels of `alerts.channels`, in order. */
export function createAlertChannels(config: CortexConfig, random: RandomSource): AlertChannel[] {
  return config.alerts.channels.map((channel) =>
    channel.type === 'log' ? new LogChannel(channel.level) : new WebhookChannel(channel.url, random),
  );
}
