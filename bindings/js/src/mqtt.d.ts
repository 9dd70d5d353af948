// Type declarations for mqttseal's mqtt.js wrapper (src/mqtt.js).
import type { Context, ErrorCode, Header } from './index.js';

/** The part of an mqtt.js MqttClient that wrap() uses. */
export interface WrappableClient {
  publish(...args: any[]): any;
  emit(event: string | symbol, ...args: any[]): boolean;
  on(event: string | symbol, listener: (...args: any[]) => void): any;
  options?: { will?: { topic: string; payload?: any; retain?: boolean } };
}

export type RejectListener = (topic: string, reason: ErrorCode, packet: unknown) => void;

/** Seals on publish, opens on 'message' (listeners get topic, plaintext,
 * packet, header); messages that do not open are emitted as 'reject'
 * (topic, reason, packet). */
export function wrap<C extends WrappableClient>(client: C, ctx: Context,
  options?: { fleet?: boolean; onReject?: RejectListener }): SealedClient<C>;

/** The wrapped client: its own events, plus 'reject'. */
export type SealedClient<C> = C & {
  on(event: 'reject', listener: RejectListener): SealedClient<C>;
  on(event: 'message', listener: (topic: string, payload: Uint8Array,
    packet: unknown, header: Header) => void): SealedClient<C>;
};
export function unwrap<C extends WrappableClient>(client: C): C;
export function isWrapped(client: WrappableClient): boolean;
export type { Header };
