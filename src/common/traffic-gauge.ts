import { Injectable } from '@nestjs/common';

/** In-flight client requests and open streams, for system metrics and the global concurrency cap. */
@Injectable()
export class TrafficGauge {
  inFlight = 0;
  openStreams = 0;
}
