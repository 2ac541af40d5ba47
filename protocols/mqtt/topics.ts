/**
 * MQTT contract v1 topics (see docs/mqtt.md). The gateway id is the only identity on
 * the wire: topics carry it, payloads never claim an office.
 */
export const DEFAULT_TOPIC_ROOT = 'pemda/v1';

/** A gateway id is one topic level: no wildcards, separators or `$`. */
export const GATEWAY_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export type GatewayTopicKind = 'status' | 'events' | 'ack' | 'health' | 'cmd' | 'cmd/result' | 'snapshot';

export interface ParsedGatewayTopic {
  gateway: string;
  kind: GatewayTopicKind;
  /** The camera id, for snapshot topics only. */
  camera?: string;
}

export class Topics {
  constructor(readonly root: string = DEFAULT_TOPIC_ROOT) {
    if (!/^[^#+$][^#+]*[^/#+]$/.test(root)) {
      throw new Error(`topic root "${root}" must be a plain topic path without wildcards or a trailing "/"`);
    }
  }

  gateway(gw: string, kind: Exclude<GatewayTopicKind, 'snapshot'>): string {
    return `${this.root}/${gw}/${kind}`;
  }

  snapshot(gw: string, camera: string): string {
    return `${this.root}/${gw}/snapshot/${camera}`;
  }

  /** Subscription filter for one kind from every gateway (e.g. all events). */
  allGateways(kind: Exclude<GatewayTopicKind, 'snapshot'>): string {
    return `${this.root}/+/${kind}`;
  }

  /**
   * An aggregator's own retained state (Sparkplug-style host state). A single central
   * uses `{root}/$central/state`; several aggregators sharing a broker each use
   * `{root}/$central/state/{instance}`, so one's Last Will never hides the others.
   */
  centralState(instance?: string): string {
    return instance === undefined ? `${this.root}/$central/state` : `${this.root}/$central/state/${instance}`;
  }

  /** Every aggregator's state: `#` also matches the parent level (MQTT 3.1.1 4.7.1.2). */
  centralStates(): string {
    return `${this.root}/$central/state/#`;
  }

  /** Parses a topic under this root; returns undefined for topics that are not ours. */
  parse(topic: string): ParsedGatewayTopic | undefined {
    const prefix = `${this.root}/`;
    if (!topic.startsWith(prefix)) return undefined;
    const levels = topic.slice(prefix.length).split('/');
    const [gateway, first, second, ...rest] = levels;
    if (gateway === undefined || !GATEWAY_ID_PATTERN.test(gateway) || first === undefined) return undefined;
    if (rest.length > 0) return undefined;
    if (first === 'snapshot') {
      return second ? { gateway, kind: 'snapshot', camera: second } : undefined;
    }
    if (first === 'cmd' && second === 'result') return { gateway, kind: 'cmd/result' };
    if (second !== undefined) return undefined;
    if (first === 'status' || first === 'events' || first === 'ack' || first === 'health' || first === 'cmd') {
      return { gateway, kind: first };
    }
    return undefined;
  }
}
