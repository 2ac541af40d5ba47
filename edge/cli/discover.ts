import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import { CMD, USHRT_MAX, ZkProtocolError, decodePacket, encodePacket, nextReplyId } from '../../protocols/zk/index.js';

export interface FoundTerminal {
  host: string;
  port: number;
  needsCommKey: boolean;
}

/**
 * Expands "192.168.1.10", "192.168.1.10-50" (last octet) and "192.168.1.0/24" into
 * addresses. Only what the technician names is probed: nothing is scanned by default.
 */
export function expandHosts(spec: string): string[] {
  const hosts: string[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const cidr = /^(\d+\.\d+\.\d+)\.\d+\/24$/.exec(part);
    const range = /^(\d+\.\d+\.\d+)\.(\d+)-(\d+)$/.exec(part);
    if (cidr) for (let i = 1; i < 255; i++) hosts.push(`${cidr[1]}.${i}`);
    else if (range) for (let i = Number(range[2]); i <= Math.min(254, Number(range[3])); i++) hosts.push(`${range[1]}.${i}`);
    else if (/^\d+\.\d+\.\d+\.\d+$/.test(part)) hosts.push(part);
    else throw new Error(`"${part}" is not an address, a last-octet range (a.b.c.10-50) or a /24 network`);
  }
  return hosts;
}

/** Sends CMD_CONNECT over UDP to each host and lists those that answer like a ZK terminal. */
export async function probeZk(hosts: string[], port: number, timeoutMs: number, progress: (done: number, total: number) => void): Promise<FoundTerminal[]> {
  const socket = createSocket('udp4');
  const found = new Map<string, FoundTerminal>();
  socket.on('message', (msg, rinfo) => {
    try {
      const reply = decodePacket(msg);
      if (reply.command !== CMD.ACK_OK && reply.command !== CMD.ACK_UNAUTH) return;
      found.set(rinfo.address, { host: rinfo.address, port: rinfo.port, needsCommKey: reply.command === CMD.ACK_UNAUTH });
      // Leave the session we opened, as a polite client does.
      socket.send(encodePacket({ command: CMD.EXIT, sessionId: reply.sessionId, replyId: nextReplyId(reply.replyId) }), rinfo.port, rinfo.address);
    } catch (err) {
      if (!(err instanceof ZkProtocolError)) throw err; // something else on the port: not a terminal
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  const connect = encodePacket({ command: CMD.CONNECT, sessionId: 0, replyId: nextReplyId(USHRT_MAX - 1) });
  for (let i = 0; i < hosts.length; i++) {
    socket.send(connect, port, hosts[i]!);
    if ((i + 1) % 16 === 0 || i === hosts.length - 1) {
      progress(i + 1, hosts.length);
      await sleep(5); // pace a /24 sweep instead of one burst
    }
  }
  await sleep(timeoutMs);
  socket.close();
  return [...found.values()];
}

export interface FoundCamera {
  address: string;
  xaddrs: string[];
  name?: string;
}

/** A WS-Discovery Probe for ONVIF video transmitters (WS-Discovery 2005/04, as ONVIF devices expect). */
function onvifProbe(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<e:Header><w:MessageID>urn:uuid:${messageId}</w:MessageID>` +
    '<w:To e:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>' +
    '<w:Action e:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>' +
    '<e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body></e:Envelope>'
  );
}

function parseProbeMatch(xml: string, address: string): FoundCamera | undefined {
  if (!/ProbeMatches/.test(xml)) return undefined;
  const xaddrs = (/<(?:\w+:)?XAddrs>([^<]*)</.exec(xml)?.[1] ?? '').split(/\s+/).filter(Boolean);
  const scopes = (/<(?:\w+:)?Scopes[^>]*>([^<]*)</.exec(xml)?.[1] ?? '').split(/\s+/);
  const name = scopes.find((s) => s.includes('/name/'))?.split('/name/')[1];
  return { address, xaddrs, ...(name && { name: decodeURIComponent(name) }) };
}

/**
 * Directed WS-Discovery probes to named hosts (unicast, so it works across subnets
 * and on loopback), or, with no hosts, the standard multicast probe on the LAN.
 */
export async function probeOnvif(hosts: string[], port: number, timeoutMs: number): Promise<FoundCamera[]> {
  const socket = createSocket('udp4');
  const found = new Map<string, FoundCamera>();
  socket.on('message', (msg, rinfo) => {
    const match = parseProbeMatch(msg.toString('utf8'), rinfo.address);
    if (match) found.set(match.xaddrs[0] ?? rinfo.address, match);
  });
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  const probe = Buffer.from(onvifProbe(randomUUID()));
  if (hosts.length === 0) socket.send(probe, 3702, '239.255.255.250');
  for (const host of hosts) socket.send(probe, port, host);
  await sleep(timeoutMs);
  socket.close();
  return [...found.values()];
}

export interface FoundSerialPort {
  path: string;
  manufacturer?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
}

/**
 * USB-serial adapters with their ids (serialport asks udevadm). Where udev is not
 * there (a container, a minimal image) the device nodes are still listed.
 */
export async function listSerialPorts(): Promise<FoundSerialPort[]> {
  let listed: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    listed = await SerialPort.list();
  } catch {
    const names = readdirSync('/dev').filter((n) => /^tty(USB|ACM|AMA|S)\d+$/.test(n) && !/^ttyS([4-9]|\d\d+)$/.test(n));
    return names.map((n) => ({ path: `/dev/${n}` }));
  }
  return listed.map((p) => ({
    path: p.path,
    ...(p.manufacturer && { manufacturer: p.manufacturer }),
    ...(p.vendorId && { vendorId: p.vendorId }),
    ...(p.productId && { productId: p.productId }),
    ...(p.serialNumber && { serialNumber: p.serialNumber }),
  }));
}

/** Ready-to-paste `terminals:` and `cameras:` blocks for what was found. */
export function configSnippet(terminals: FoundTerminal[], ports: FoundSerialPort[], cameras: FoundCamera[] = []): string {
  const lines = terminals.length + ports.length > 0 ? ['terminals:'] : [];
  for (const t of terminals) {
    lines.push(`  - id: zk-${t.host.split('.').pop()}`, '    driver: zk', '    transport: udp', `    host: ${t.host}`, `    port: ${t.port}`, '    zone: Asia/Jakarta        # set: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)');
    if (t.needsCommKey) lines.push('    commKey: 0               # set: this terminal has a Comm Key (Menu > Comm. > Connection)');
  }
  ports.forEach((p, i) => {
    lines.push(`  - id: serial-${i + 1}`, '    driver: line-serial     # or r30x for a fingerprint module', `    port: ${p.path}`, '    zone: Asia/Jakarta');
  });
  if (cameras.length > 0) lines.push('cameras:');
  cameras.forEach((c, i) => {
    const url = c.xaddrs[0] ? new URL(c.xaddrs[0]) : undefined;
    lines.push(`  - id: cam-${i + 1}`);
    if (c.name) lines.push(`    name: ${JSON.stringify(c.name)}`);
    lines.push('    onvif:', `      host: ${url?.hostname ?? c.address}`, `      port: ${url?.port || 80}`, `      path: ${url?.pathname ?? '/onvif/device_service'}`, '    username: admin        # set', '    password: ""          # set');
  });
  return lines.join('\n');
}

export function describeFound(terminals: FoundTerminal[], ports: FoundSerialPort[], cameras: FoundCamera[] = []): string {
  const rows = [
    ...cameras.map((c) => `ONVIF camera  ${c.xaddrs.join(' ') || c.address}${c.name ? `   "${c.name}"` : ''}`),
    ...terminals.map((t) => `ZK terminal   ${t.host}:${t.port}/udp${t.needsCommKey ? '   (Comm Key set)' : ''}`),
    ...ports.map((p) => `serial port   ${p.path}   ${[p.manufacturer, p.vendorId && `${p.vendorId}:${p.productId ?? '?'}`, p.serialNumber && `serial ${p.serialNumber}`].filter(Boolean).join(', ')}`),
  ];
  return rows.length > 0 ? rows.join('\n') : 'nothing found';
}
