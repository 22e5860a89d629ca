// The forward module's public face: OTLP/HTTP forwarding of what the workbench accepts, through a durable queue.
export { Forwarder, type ForwarderOptions, type ForwarderStats, preparePayload } from './forwarder.js';
export { type ForwardHost, type ForwardPlugin, forwardPlugin } from './plugin.js';
export { type ForwardSignal, ForwardQueue, type QueuedRequest } from './queue.js';
