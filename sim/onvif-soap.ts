/**
 * SOAP 1.2 / ONVIF / WS-Discovery message text for the simulated ONVIF camera
 * (sim/onvif-camera.ts): the response templates it sends, and the small tolerant
 * XML reading it needs to understand requests.
 *
 * Protocol facts used here, from public specifications:
 *  - SOAP 1.2 envelope and Fault (Code/Value, Subcode/Value, Reason/Text, Detail),
 *    W3C SOAP 1.2 Part 1 §5.4; namespace http://www.w3.org/2003/05/soap-envelope.
 *    SOAP 1.2 Part 2 §7.5.2.2: a fault with code env:Sender goes out as HTTP 400,
 *    env:Receiver as HTTP 500.
 *  - ONVIF generic fault subcodes (ONVIF Core Specification, "SOAP fault messages" /
 *    "Generic faults"): env:Sender + ter:NotAuthorized "Sender not Authorized";
 *    env:Receiver + ter:ActionNotSupported "Optional Action Not Implemented";
 *    env:Sender + ter:InvalidArgVal (subcode ter:NoProfile / ter:InvalidStreamSetup) in
 *    the ONVIF Media Service Specification for GetStreamUri / GetSnapshotUri.
 *  - Element names and namespaces of the device (tds, ver10/device/wsdl) and media
 *    (trt, ver10/media/wsdl) WSDLs and the ONVIF schema (tt, ver10/schema).
 *  - WS-Discovery ProbeMatches: WS-Discovery (April 2005, the version ONVIF Core
 *    §7 "Device discovery" refers to) and OASIS WS-Discovery 1.1 (2009) §5.3; Types
 *    dn:NetworkVideoTransmitter / tds:Device and the onvif:// scope URIs from ONVIF
 *    Core §7.3.2 "Scopes".
 */

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
} as const;

/** WS-Security UsernameToken Profile 1.0 §3.1: the Password Type of a digest password. */
export const PASSWORD_DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

// ---------------------------------------------------------------------------
// Writing

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A SOAP 1.2 envelope declaring every prefix the templates below use. */
export function envelope(body: string, header = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" ` +
    `xmlns:tt="${NS.tt}" xmlns:ter="${NS.ter}">` +
    (header ? `<SOAP-ENV:Header>${header}</SOAP-ENV:Header>` : '') +
    `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export interface SoapFault {
  /** SOAP 1.2 fault code: Sender (HTTP 400) or Receiver (HTTP 500). */
  code: 'Sender' | 'Receiver';
  /** ONVIF subcodes, outermost first, without the ter: prefix, e.g. ['NotAuthorized']. */
  subcodes: string[];
  reason: string;
}

export const FAULT_NOT_AUTHORIZED: SoapFault = {
  code: 'Sender',
  subcodes: ['NotAuthorized'],
  reason: 'Sender not Authorized',
};

/** HTTP status for a fault, SOAP 1.2 Part 2 §7.5.2.2. */
export function faultHttpStatus(fault: SoapFault): number {
  return fault.code === 'Sender' ? 400 : 500;
}

export function faultEnvelope(fault: SoapFault): string {
  const subcodes = fault.subcodes.reduceRight(
    (inner, sub) => `<SOAP-ENV:Subcode><SOAP-ENV:Value>ter:${sub}</SOAP-ENV:Value>${inner}</SOAP-ENV:Subcode>`,
    '',
  );
  return envelope(
    '<SOAP-ENV:Fault>' +
      `<SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:${fault.code}</SOAP-ENV:Value>${subcodes}</SOAP-ENV:Code>` +
      `<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">${escapeXml(fault.reason)}</SOAP-ENV:Text></SOAP-ENV:Reason>` +
      '</SOAP-ENV:Fault>',
  );
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** tt:DateTime (Time: Hour/Minute/Second, Date: Year/Month/Day) of `at` read in UTC fields. */
function dateTimeXml(tag: string, at: Date): string {
  return (
    `<tt:${tag}>` +
    `<tt:Time><tt:Hour>${at.getUTCHours()}</tt:Hour><tt:Minute>${at.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${at.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${at.getUTCFullYear()}</tt:Year><tt:Month>${at.getUTCMonth() + 1}</tt:Month>` +
    `<tt:Day>${at.getUTCDate()}</tt:Day></tt:Date>` +
    `</tt:${tag}>`
  );
}

/** WIB, UTC+7 without daylight saving: POSIX TZ "WIB-7" (ONVIF tt:TimeZone/TZ is POSIX 1003.1). */
const WIB_OFFSET_MS = 7 * 3600_000;

/** tds:GetSystemDateAndTimeResponse for a camera whose clock reads `cameraNow`. */
export function systemDateAndTimeResponse(cameraNow: Date): string {
  return envelope(
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
      '<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
      '<tt:TimeZone><tt:TZ>WIB-7</tt:TZ></tt:TimeZone>' +
      dateTimeXml('UTCDateTime', cameraNow) +
      dateTimeXml('LocalDateTime', new Date(cameraNow.getTime() + WIB_OFFSET_MS)) +
      '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>',
  );
}

/** The camera's clock as its on-screen display shows it: `YYYY-MM-DD HH:mm:ss.SSS WIB`. */
export function formatWib(cameraNow: Date): string {
  const t = new Date(cameraNow.getTime() + WIB_OFFSET_MS);
  return (
    `${t.getUTCFullYear()}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())} ` +
    `${pad2(t.getUTCHours())}:${pad2(t.getUTCMinutes())}:${pad2(t.getUTCSeconds())}.` +
    `${String(t.getUTCMilliseconds()).padStart(3, '0')} WIB`
  );
}

export interface ServiceUrls {
  device: string;
  media: string;
}

/**
 * tds:GetServicesResponse. Two services (device and media ver10); no Media2 (ver20), so
 * clients use the Media1 operations. With IncludeCapability the service capabilities
 * are included, as the device WSDL allows.
 */
export function servicesResponse(urls: ServiceUrls, includeCapability: boolean): string {
  const service = (ns: string, xaddr: string, capabilities: string) =>
    '<tds:Service>' +
    `<tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${escapeXml(xaddr)}</tds:XAddr>` +
    (includeCapability ? `<tds:Capabilities>${capabilities}</tds:Capabilities>` : '') +
    '<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>' +
    '</tds:Service>';
  return envelope(
    '<tds:GetServicesResponse>' +
      service(
        NS.tds,
        urls.device,
        '<tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"/>' +
          '<tds:Security UsernameToken="true" HttpDigest="false" TLS1.2="false"/>' +
          '<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false" ' +
          'SystemLogging="false" FirmwareUpgrade="false"/></tds:Capabilities>',
      ) +
      service(
        NS.trt,
        urls.media,
        '<trt:Capabilities SnapshotUri="true" Rotation="false"><trt:ProfileCapabilities MaximumNumberOfProfiles="1"/>' +
          '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>',
      ) +
      '</tds:GetServicesResponse>',
  );
}

/** tds:GetCapabilitiesResponse (the pre-GetServices way to find the media XAddr). */
export function capabilitiesResponse(urls: ServiceUrls): string {
  return envelope(
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
      `<tt:Device><tt:XAddr>${escapeXml(urls.device)}</tt:XAddr>` +
      '<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>' +
      '<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>' +
      '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>' +
      '<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
      '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
      '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>' +
      '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>' +
      '<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>' +
      '<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>' +
      '<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security>' +
      '</tt:Device>' +
      `<tt:Media><tt:XAddr>${escapeXml(urls.media)}</tt:XAddr>` +
      '<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>' +
      '<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>' +
      '</tds:Capabilities></tds:GetCapabilitiesResponse>',
  );
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export function deviceInformationResponse(info: DeviceInformation): string {
  return envelope(
    '<tds:GetDeviceInformationResponse>' +
      `<tds:Manufacturer>${escapeXml(info.manufacturer)}</tds:Manufacturer>` +
      `<tds:Model>${escapeXml(info.model)}</tds:Model>` +
      `<tds:FirmwareVersion>${escapeXml(info.firmwareVersion)}</tds:FirmwareVersion>` +
      `<tds:SerialNumber>${escapeXml(info.serialNumber)}</tds:SerialNumber>` +
      `<tds:HardwareId>${escapeXml(info.hardwareId)}</tds:HardwareId>` +
      '</tds:GetDeviceInformationResponse>',
  );
}

export function scopesResponse(scopes: readonly string[]): string {
  return envelope(
    '<tds:GetScopesResponse>' +
      scopes
        .map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${escapeXml(s)}</tt:ScopeItem></tds:Scopes>`)
        .join('') +
      '</tds:GetScopesResponse>',
  );
}

export function hostnameResponse(name: string): string {
  return envelope(
    '<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>' +
      `<tt:Name>${escapeXml(name)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
  );
}

export const PROFILE_TOKEN = 'profile_1';
export const VIDEO_SOURCE_TOKEN = 'video_source_1';
const VSC_TOKEN = 'video_source_config_1';
const VEC_TOKEN = 'video_encoder_config_1';

export interface VideoFormat {
  width: number;
  height: number;
  fps: number;
}

/**
 * trt:GetProfilesResponse: one profile whose VideoSourceConfiguration points at the one
 * video source (clients pair profiles and sources through SourceToken) and whose
 * VideoEncoderConfiguration is H.264 at the camera's resolution.
 */
export function profilesResponse(v: VideoFormat): string {
  return envelope(
    '<trt:GetProfilesResponse>' +
      `<trt:Profiles token="${PROFILE_TOKEN}" fixed="true"><tt:Name>MainStream</tt:Name>` +
      `<tt:VideoSourceConfiguration token="${VSC_TOKEN}"><tt:Name>VideoSourceConfig</tt:Name>` +
      `<tt:UseCount>1</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
      `<tt:Bounds x="0" y="0" width="${v.width}" height="${v.height}"/></tt:VideoSourceConfiguration>` +
      `<tt:VideoEncoderConfiguration token="${VEC_TOKEN}"><tt:Name>VideoEncoderConfig</tt:Name>` +
      '<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>' +
      `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
      '<tt:Quality>5</tt:Quality>' +
      `<tt:RateControl><tt:FrameRateLimit>${v.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
      '<tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl>' +
      `<tt:H264><tt:GovLength>${v.fps * 2}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
      '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
      '<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
      '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
      '</trt:Profiles></trt:GetProfilesResponse>',
  );
}

export function videoSourcesResponse(v: VideoFormat): string {
  return envelope(
    '<trt:GetVideoSourcesResponse>' +
      `<trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>${v.fps}</tt:Framerate>` +
      `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
      '</trt:VideoSources></trt:GetVideoSourcesResponse>',
  );
}

/** trt:GetSnapshotUriResponse / trt:GetStreamUriResponse: a tt:MediaUri. */
export function mediaUriResponse(operation: 'GetSnapshotUri' | 'GetStreamUri', uri: string): string {
  return envelope(
    `<trt:${operation}Response><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri>` +
      '<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>' +
      `<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:${operation}Response>`,
  );
}

// ---------------------------------------------------------------------------
// WS-Discovery

export interface DiscoveryVersion {
  /** Discovery namespace: 2005/04 (what ONVIF devices speak) or 1.1 (2009/01). */
  wsd: string;
  /** The WS-Addressing namespace that version is bound to. */
  wsa: string;
  /** The anonymous reply-to address of that WS-Addressing version. */
  anonymous: string;
}

export const WSD_2005: DiscoveryVersion = {
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  anonymous: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous',
};

export const WSD_11: DiscoveryVersion = {
  wsd: 'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01',
  wsa: 'http://www.w3.org/2005/08/addressing',
  anonymous: 'http://www.w3.org/2005/08/addressing/anonymous',
};

export interface ProbeMatch {
  version: DiscoveryVersion;
  messageId: string;
  relatesTo: string | undefined;
  instanceId: number;
  messageNumber: number;
  endpoint: string;
  scopes: readonly string[];
  xaddrs: string;
}

/** The ProbeMatches a target service unicasts back to the prober (WS-Discovery §5.3). */
export function probeMatchesMessage(m: ProbeMatch): string {
  const v = m.version;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap}" xmlns:wsa="${v.wsa}" xmlns:wsd="${v.wsd}" ` +
    `xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}">` +
    '<SOAP-ENV:Header>' +
    `<wsa:MessageID>${escapeXml(m.messageId)}</wsa:MessageID>` +
    (m.relatesTo ? `<wsa:RelatesTo>${escapeXml(m.relatesTo)}</wsa:RelatesTo>` : '') +
    `<wsa:To>${v.anonymous}</wsa:To>` +
    `<wsa:Action>${v.wsd}/ProbeMatches</wsa:Action>` +
    `<wsd:AppSequence InstanceId="${m.instanceId}" MessageNumber="${m.messageNumber}"/>` +
    '</SOAP-ENV:Header>' +
    '<SOAP-ENV:Body><wsd:ProbeMatches><wsd:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>${escapeXml(m.endpoint)}</wsa:Address></wsa:EndpointReference>` +
    '<wsd:Types>dn:NetworkVideoTransmitter tds:Device</wsd:Types>' +
    `<wsd:Scopes>${m.scopes.map(escapeXml).join(' ')}</wsd:Scopes>` +
    `<wsd:XAddrs>${escapeXml(m.xaddrs)}</wsd:XAddrs>` +
    '<wsd:MetadataVersion>1</wsd:MetadataVersion>' +
    '</wsd:ProbeMatch></wsd:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}

// ---------------------------------------------------------------------------
// Reading: enough XML for requests from real clients, without a full parser.
// Elements are found by local name, whatever prefix the client chose.

const NAME = '[A-Za-z_][\\w.-]*';

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    switch (e) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

function stripComments(xml: string): string {
  return xml.replace(/<!--[\s\S]*?-->/g, '');
}

export interface XmlElement {
  /** The prefix as written, '' when none. */
  prefix: string;
  attributes: string;
  /** Raw inner XML. */
  inner: string;
}

/** The first element with this local name (any prefix), or undefined. */
export function findElement(xml: string, localName: string): XmlElement | undefined {
  const open = new RegExp(`<(?:(${NAME}):)?${localName}(\\s[^>]*?)?(/?)>`, 'g');
  const src = stripComments(xml);
  const m = open.exec(src);
  if (!m) return undefined;
  const prefix = m[1] ?? '';
  const attributes = m[2] ?? '';
  if (m[3] === '/') return { prefix, attributes, inner: '' };
  const closeTag = `</${prefix ? `${prefix}:` : ''}${localName}>`;
  const end = src.indexOf(closeTag, open.lastIndex);
  if (end < 0) return undefined;
  return { prefix, attributes, inner: src.slice(open.lastIndex, end) };
}

/** Trimmed, unescaped text content of the first element with this local name. */
export function elementText(xml: string, localName: string): string | undefined {
  const el = findElement(xml, localName);
  if (!el) return undefined;
  return unescapeXml(el.inner.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')).trim();
}

export function attributeValue(attributes: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)(?:${NAME}:)?${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(attributes);
  if (!m) return undefined;
  return unescapeXml(m[2] ?? m[3] ?? '');
}

/** The local name of the first child element of the SOAP Body, i.e. the operation. */
export function bodyOperation(xml: string): string | undefined {
  const body = findElement(xml, 'Body');
  if (!body) return undefined;
  const m = new RegExp(`<(?:${NAME}:)?(${NAME})[\\s/>]`).exec(body.inner);
  return m?.[1];
}

/** The namespace URI a prefix ('' = default) is bound to anywhere in the message. */
export function namespaceOf(xml: string, prefix: string): string | undefined {
  const attr = prefix ? `xmlns:${prefix}` : 'xmlns';
  const m = new RegExp(`\\s${attr.replace('.', '\\.')}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(xml);
  return m ? (m[2] ?? m[3]) : undefined;
}

export interface UsernameToken {
  username: string;
  password: string;
  passwordType: string;
  /** Base64 as sent. */
  nonce: string;
  created: string;
}

/**
 * The wsse:UsernameToken inside the SOAP Header's wsse:Security, or undefined when the
 * request carries none (WS-Security UsernameToken Profile 1.0 §3, 4).
 */
export function readUsernameToken(xml: string): UsernameToken | undefined {
  const header = findElement(xml, 'Header');
  if (!header) return undefined;
  const security = findElement(header.inner, 'Security');
  if (!security) return undefined;
  const token = findElement(security.inner, 'UsernameToken');
  if (!token) return undefined;
  const password = findElement(token.inner, 'Password');
  return {
    username: elementText(token.inner, 'Username') ?? '',
    password: elementText(token.inner, 'Password') ?? '',
    passwordType: password ? (attributeValue(password.attributes, 'Type') ?? '') : '',
    nonce: elementText(token.inner, 'Nonce') ?? '',
    created: elementText(token.inner, 'Created') ?? '',
  };
}
