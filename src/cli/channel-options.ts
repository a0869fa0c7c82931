/**
 * The gRPC channel options of Workernator's own client (the CLI; the bench uses them too, so that
 * its figures are what a user gets).
 */
import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * The HTTP/2 flow-control window the client grants the server for each stream and the connection.
 * grpc-js's default, 64 KiB, lets a server send only 64 KiB before it must wait for the client's
 * WINDOW_UPDATE, which held one Tail stream to about 270 MiB/s on loopback (470 with 4 MiB). The
 * window is also the most a slow reader (a paused `workernator tail | less`) has buffered for it.
 */
export const CLIENT_FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;

export const CLIENT_CHANNEL_OPTIONS: ChannelOptions = {
  // One attempt, then a clear error: a CLI should not sit retrying a server that is down.
  'grpc.enable_retries': 0,
  'grpc-node.flow_control_window': CLIENT_FLOW_CONTROL_WINDOW,
};
