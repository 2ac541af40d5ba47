import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { Command, CommandResult } from '../protocols/mqtt/payloads.js';
import { decodeJson, encodeJson } from '../protocols/mqtt/decode.js';
import { Topics } from '../protocols/mqtt/topics.js';

export interface CommandTarget {
  url: string;
  username?: string;
  password?: string;
  topicRoot: string;
  ca?: Buffer;
}

/**
 * Sends one command to a gateway and waits for its result. The gateway must be
 * connected: commands are not queued for offline gateways (a stale "sync clock"
 * arriving hours later would do more harm than good).
 */
export async function sendCommand(
  target: CommandTarget,
  gateway: string,
  command: Pick<Command, 'name' | 'terminal' | 'camera'>,
  timeoutMs: number,
): Promise<CommandResult> {
  const topics = new Topics(target.topicRoot);
  const client = await mqtt.connectAsync(target.url, {
    clientId: `pemda-cmd-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
    ...(target.ca !== undefined && { ca: target.ca, rejectUnauthorized: true }),
  });
  try {
    const id = randomUUID();
    const resultTopic = topics.gateway(gateway, 'cmd/result');
    const result = new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result from gateway ${gateway} within ${timeoutMs / 1000} s: is it online?`)), timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== resultTopic) return;
        const r = decodeJson(CommandResult, topic, payload);
        if (r.id !== id) return;
        clearTimeout(timer);
        resolve(r);
      });
    });
    await client.subscribeAsync(resultTopic, { qos: 1 });
    const message: Command = {
      v: 1,
      id,
      name: command.name,
      issuedAt: new Date().toISOString(),
      ...(command.terminal !== undefined && { terminal: command.terminal }),
      ...(command.camera !== undefined && { camera: command.camera }),
    };
    await client.publishAsync(topics.gateway(gateway, 'cmd'), encodeJson(Command, message), { qos: 1 });
    return await result;
  } finally {
    await client.endAsync(true);
  }
}
