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
  /** XML of the SOAP 1.2 Detail element's content (e.g. a WS-BaseFaults fault), declaring its own namespaces. */
  detail?: string;
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
      (fault.detail ? `<SOAP-ENV:Detail>${fault.detail}</SOAP-ENV:Detail>` : '') +
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
  /** The event service, when the camera has one (ver10/events/wsdl). */
  events?: string;
  /** tev:Capabilities MaxPullPoints. */
  maxPullPoints?: number;
}

/**
 * tds:GetServicesResponse. Device and media ver10 (no Media2, ver20, so clients use the
 * Media1 operations) and, when given, the event service. With IncludeCapability the
 * service capabilities are included, as the device WSDL allows.
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
      (urls.events
        ? service(EVENT_NS.tev, urls.events, eventCapabilitiesXml({ maxPullPoints: urls.maxPullPoints ?? 10 }, true))
        : '') +
      '</tds:GetServicesResponse>',
  );
}

/** tds:GetCapabilitiesResponse (the pre-GetServices way to find the media and event XAddrs). */
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
      // tt:Capabilities lists Analytics, Device, Events, Imaging, Media, PTZ in this order (ONVIF schema).
      (urls.events
        ? `<tt:Events><tt:XAddr>${escapeXml(urls.events)}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
          '<tt:WSPullPointSupport>true</tt:WSPullPointSupport>' +
          '<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>'
        : '') +
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

// ---------------------------------------------------------------------------
// Event service (ONVIF Core Specification, "Event handling": the Real-time Pull-Point
// Notification Interface; element names from the event WSDL, ver10/events/wsdl, and
// OASIS WS-BaseNotification 1.3, b-2).
//
//  - CreatePullPointSubscription(InitialTerminationTime) answers a SubscriptionReference
//    (a WS-Addressing EndpointReference: the subscription manager's own address), the
//    CurrentTime and the granted TerminationTime (ONVIF Core, "Create pull point
//    subscription"). The client computes the remaining lifetime from the two times, so a
//    camera clock that is off does not matter.
//  - PullMessages(Timeout, MessageLimit) on the subscription address: the device answers
//    at once when messages are waiting, otherwise when one arrives or Timeout has passed,
//    with at most MessageLimit messages; the response carries CurrentTime and
//    TerminationTime; an empty list means the Timeout passed. A Timeout or MessageLimit
//    beyond what the device supports is answered with a tev:PullMessagesFaultResponse
//    carrying MaxTimeout and MaxMessageLimit (event WSDL).
//  - Renew(TerminationTime) and Unsubscribe on the subscription address: the
//    SubscriptionManager operations of WS-BaseNotification 1.3 §6.1 / §6.2. A request for
//    a subscription that ended answers a ResourceUnknownFault (WS-ResourceFramework
//    WS-Resource 1.2, wsrf-r), as WS-BaseNotification lists for Renew and Unsubscribe.
//  - Termination times are xs:duration (relative, e.g. PT1M) or xs:dateTime (absolute).
//  - NotificationMessage: wsnt:Topic with the ConcreteSet dialect, wsnt:Message holding a
//    tt:Message with UtcTime and PropertyOperation (Initialized / Changed / Deleted) and
//    Source / Data SimpleItems (ONVIF Core, "Notification structure" and "Properties").
//    After a subscription is created the device sends the current state of every
//    property it covers with PropertyOperation "Initialized".
//  - Motion topics: tns1:RuleEngine/CellMotionDetector/Motion, Source items
//    VideoSourceConfigurationToken, VideoAnalyticsConfigurationToken and Rule, Data item
//    IsMotion (ONVIF Analytics Service Specification, "Cell motion detector"); and
//    tns1:VideoSource/MotionAlarm, Source item Source (the video source token), Data
//    item State (ONVIF Core, video source motion alarm topic).

export const EVENT_NS = {
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tns1: 'http://www.onvif.org/ver10/topics',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  wsrfr: 'http://docs.oasis-open.org/wsrf/r-2',
  wsrfbf: 'http://docs.oasis-open.org/wsrf/bf-2',
} as const;

/** The topic expression dialect every ONVIF device supports (event WSDL). */
export const CONCRETE_SET_DIALECT = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

export type MotionTopic = 'cell-motion' | 'motion-alarm';

export const MOTION_TOPICS: Record<MotionTopic, { topic: string; source: [string, string][]; dataItem: string }> = {
  'cell-motion': {
    topic: 'tns1:RuleEngine/CellMotionDetector/Motion',
    source: [
      ['VideoSourceConfigurationToken', 'video_source_config_1'],
      ['VideoAnalyticsConfigurationToken', 'video_analytics_config_1'],
      ['Rule', 'MotionDetectorRule'],
    ],
    dataItem: 'IsMotion',
  },
  'motion-alarm': {
    topic: 'tns1:VideoSource/MotionAlarm',
    source: [['Source', VIDEO_SOURCE_TOKEN]],
    dataItem: 'State',
  },
};

/** xs:dateTime in UTC with Z (what the onvif client library reads as a Date). */
export function xsDateTime(at: Date): string {
  return at.toISOString();
}

/**
 * Milliseconds of an xs:duration (XML Schema Part 2 §3.2.6: PnYnMnDTnHnMnS, optional
 * leading minus). Years and months are counted as 365 and 30 days. undefined when the
 * text is not a duration.
 */
export function parseXsDuration(text: string): number | undefined {
  const m = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return undefined;
  const [, minus, y, mo, d, h, mi, s] = m;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  const ms = (((n(y) * 365 + n(mo) * 30 + n(d)) * 24 + n(h)) * 60 + n(mi)) * 60_000 + n(s) * 1000;
  return minus ? -ms : ms;
}

/**
 * A WS-BaseNotification termination time: an xs:duration from `now`, or an absolute
 * xs:dateTime. undefined when it is neither.
 */
export function parseTerminationTime(text: string, now: Date): Date | undefined {
  const t = text.trim();
  if (t.startsWith('P') || t.startsWith('-P')) {
    const ms = parseXsDuration(t);
    return ms === undefined ? undefined : new Date(now.getTime() + ms);
  }
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.test(t)) return undefined;
  // A dateTime without a zone is read as UTC, as the ONVIF examples write it.
  const at = Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(t) ? t : `${t}Z`);
  return Number.isNaN(at) ? undefined : new Date(at);
}

/** A SOAP 1.2 envelope for the event service, with a WS-Addressing Action header. */
export function eventEnvelope(action: string, body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap}" xmlns:tt="${NS.tt}" xmlns:ter="${NS.ter}" ` +
    `xmlns:tev="${EVENT_NS.tev}" xmlns:wsnt="${EVENT_NS.wsnt}" xmlns:wsa="${EVENT_NS.wsa}" ` +
    `xmlns:tns1="${EVENT_NS.tns1}" xmlns:wstop="${EVENT_NS.wstop}">` +
    `<SOAP-ENV:Header><wsa:Action>${escapeXml(action)}</wsa:Action></SOAP-ENV:Header>` +
    `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export const EVENT_ACTIONS = {
  createPullPointSubscription: `${EVENT_NS.tev}/EventPortType/CreatePullPointSubscriptionResponse`,
  getServiceCapabilities: `${EVENT_NS.tev}/EventPortType/GetServiceCapabilitiesResponse`,
  getEventProperties: `${EVENT_NS.tev}/EventPortType/GetEventPropertiesResponse`,
  pullMessages: `${EVENT_NS.tev}/PullPointSubscription/PullMessagesResponse`,
  renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewResponse',
  unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeResponse',
} as const;

export interface EventServiceLimits {
  maxPullPoints: number;
}

/** The event service's tev:Capabilities (pull points only: no WS-BaseNotification push, no pausing). */
export function eventCapabilitiesXml(limits: EventServiceLimits, declareNamespace = false): string {
  return (
    `<tev:Capabilities ${declareNamespace ? `xmlns:tev="${EVENT_NS.tev}" ` : ''}WSSubscriptionPolicySupport="false" WSPullPointSupport="true" ` +
    `WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0" MaxPullPoints="${limits.maxPullPoints}" ` +
    'PersistentNotificationStorage="false"/>'
  );
}

export function eventServiceCapabilitiesResponse(limits: EventServiceLimits): string {
  return eventEnvelope(
    EVENT_ACTIONS.getServiceCapabilities,
    `<tev:GetServiceCapabilitiesResponse>${eventCapabilitiesXml(limits)}</tev:GetServiceCapabilitiesResponse>`,
  );
}

/** tev:GetEventPropertiesResponse: the two motion topics, both properties (IsProperty="true"). */
export function eventPropertiesResponse(): string {
  const description = (t: (typeof MOTION_TOPICS)[MotionTopic], sourceTypes: string[]) =>
    '<tt:MessageDescription IsProperty="true"><tt:Source>' +
    t.source.map(([name], i) => `<tt:SimpleItemDescription Name="${name}" Type="${sourceTypes[i] ?? 'tt:ReferenceToken'}"/>`).join('') +
    `</tt:Source><tt:Data><tt:SimpleItemDescription Name="${t.dataItem}" Type="xs:boolean"/></tt:Data></tt:MessageDescription>`;
  return eventEnvelope(
    EVENT_ACTIONS.getEventProperties,
    '<tev:GetEventPropertiesResponse xmlns:xs="http://www.w3.org/2001/XMLSchema">' +
      '<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>' +
      '<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>' +
      '<wstop:TopicSet>' +
      `<tns1:RuleEngine><CellMotionDetector><Motion wstop:topic="true">${description(MOTION_TOPICS['cell-motion'], ['tt:ReferenceToken', 'tt:ReferenceToken', 'xs:string'])}</Motion></CellMotionDetector></tns1:RuleEngine>` +
      `<tns1:VideoSource><MotionAlarm wstop:topic="true">${description(MOTION_TOPICS['motion-alarm'], ['tt:ReferenceToken'])}</MotionAlarm></tns1:VideoSource>` +
      '</wstop:TopicSet>' +
      `<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete</wsnt:TopicExpressionDialect>` +
      `<wsnt:TopicExpressionDialect>${CONCRETE_SET_DIALECT}</wsnt:TopicExpressionDialect>` +
      '<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>' +
      '<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>' +
      '</tev:GetEventPropertiesResponse>',
  );
}

export function createPullPointSubscriptionResponse(address: string, currentTime: Date, terminationTime: Date): string {
  return eventEnvelope(
    EVENT_ACTIONS.createPullPointSubscription,
    '<tev:CreatePullPointSubscriptionResponse>' +
      `<tev:SubscriptionReference><wsa:Address>${escapeXml(address)}</wsa:Address></tev:SubscriptionReference>` +
      `<wsnt:CurrentTime>${xsDateTime(currentTime)}</wsnt:CurrentTime>` +
      `<wsnt:TerminationTime>${xsDateTime(terminationTime)}</wsnt:TerminationTime>` +
      '</tev:CreatePullPointSubscriptionResponse>',
  );
}

export interface MotionNotification {
  topic: MotionTopic;
  state: boolean;
  utcTime: Date;
  operation: 'Initialized' | 'Changed';
}

export function notificationMessageXml(n: MotionNotification, subscriptionAddress: string): string {
  const t = MOTION_TOPICS[n.topic];
  return (
    '<wsnt:NotificationMessage>' +
    `<wsnt:SubscriptionReference><wsa:Address>${escapeXml(subscriptionAddress)}</wsa:Address></wsnt:SubscriptionReference>` +
    `<wsnt:Topic Dialect="${CONCRETE_SET_DIALECT}">${t.topic}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${xsDateTime(n.utcTime)}" PropertyOperation="${n.operation}">` +
    '<tt:Source>' +
    t.source.map(([name, value]) => `<tt:SimpleItem Name="${name}" Value="${escapeXml(value)}"/>`).join('') +
    '</tt:Source>' +
    `<tt:Data><tt:SimpleItem Name="${t.dataItem}" Value="${n.state}"/></tt:Data>` +
    '</tt:Message></wsnt:Message>' +
    '</wsnt:NotificationMessage>'
  );
}

export function pullMessagesResponse(currentTime: Date, terminationTime: Date, messages: readonly string[]): string {
  return eventEnvelope(
    EVENT_ACTIONS.pullMessages,
    '<tev:PullMessagesResponse>' +
      `<tev:CurrentTime>${xsDateTime(currentTime)}</tev:CurrentTime>` +
      `<tev:TerminationTime>${xsDateTime(terminationTime)}</tev:TerminationTime>` +
      messages.join('') +
      '</tev:PullMessagesResponse>',
  );
}

export function renewResponse(currentTime: Date, terminationTime: Date): string {
  return eventEnvelope(
    EVENT_ACTIONS.renew,
    '<wsnt:RenewResponse>' +
      `<wsnt:TerminationTime>${xsDateTime(terminationTime)}</wsnt:TerminationTime>` +
      `<wsnt:CurrentTime>${xsDateTime(currentTime)}</wsnt:CurrentTime>` +
      '</wsnt:RenewResponse>',
  );
}

export function unsubscribeResponse(): string {
  return eventEnvelope(EVENT_ACTIONS.unsubscribe, '<wsnt:UnsubscribeResponse/>');
}

/** WS-BaseFaults (wsrf-bf) fault detail element: a Timestamp is required. */
function baseFaultDetail(ns: string, prefix: string, element: string, at: Date, description: string): string {
  return (
    `<${prefix}:${element} xmlns:${prefix}="${ns}" xmlns:wsrf-bf="${EVENT_NS.wsrfbf}">` +
    `<wsrf-bf:Timestamp>${xsDateTime(at)}</wsrf-bf:Timestamp>` +
    `<wsrf-bf:Description>${escapeXml(description)}</wsrf-bf:Description>` +
    `</${prefix}:${element}>`
  );
}

/** The subscription ended (expired or unsubscribed) or never existed. */
export function resourceUnknownFault(at: Date): SoapFault {
  const reason = 'Subscription unknown or expired';
  return { code: 'Sender', subcodes: [], reason, detail: baseFaultDetail(EVENT_NS.wsrfr, 'wsrf-r', 'ResourceUnknownFault', at, reason) };
}

/** Subscribe/Renew asked for a termination time in the past or unreadable (WS-BaseNotification §4.2, §6.1). */
export function unacceptableTerminationTimeFault(at: Date, initial: boolean): SoapFault {
  const element = initial ? 'UnacceptableInitialTerminationTimeFault' : 'UnacceptableTerminationTimeFault';
  const reason = initial ? 'Unacceptable InitialTerminationTime' : 'Unacceptable TerminationTime';
  return { code: 'Sender', subcodes: [], reason, detail: baseFaultDetail(EVENT_NS.wsnt, 'wsnt', element, at, reason) };
}

/** PullMessages asked for more than the device supports (event WSDL PullMessagesFaultResponse). */
export function pullMessagesFault(maxTimeoutMs: number, maxMessageLimit: number): SoapFault {
  return {
    code: 'Sender',
    subcodes: ['InvalidArgVal'],
    reason: 'PullMessages Timeout or MessageLimit beyond the device limits',
    detail:
      `<tev:PullMessagesFaultResponse xmlns:tev="${EVENT_NS.tev}">` +
      `<tev:MaxTimeout>PT${Math.floor(maxTimeoutMs / 1000)}S</tev:MaxTimeout>` +
      `<tev:MaxMessageLimit>${maxMessageLimit}</tev:MaxMessageLimit>` +
      '</tev:PullMessagesFaultResponse>',
  };
}
