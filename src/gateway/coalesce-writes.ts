import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Sends the SSE events decoded from one upstream read in one socket write. Without it every event
 * was its own write syscall (22 for a 20-word stream), most of a stream's CPU beyond a bare proxy.
 * The returned function is called before each event is handed to the response: the first event of
 * a burst corks the socket, and setImmediate uncorks it once the event loop has run everything that
 * burst produced, so no event waits for a later one. The socket is corked rather than the response:
 * ServerResponse.cork() holds chunked bodies in a buffer that end() does not always flush.
 */
export function writeCoalescer(response: ServerResponse): () => void {
  let corked: Socket | undefined;
  const uncork = (): void => {
    corked?.uncork();
    corked = undefined;
  };
  return () => {
    const socket = response.socket;
    if (corked || !socket || socket.destroyed) return;
    corked = socket;
    socket.cork();
    setImmediate(uncork);
  };
}
