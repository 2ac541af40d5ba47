/**
 * Dataset publishers for an external Mosquitto 2 (`pemda-central mosquitto-files`), with
 * the rights the embedded broker gives them (central/broker-acl.ts): publish only to
 * their own rows topic (central/bridges/mqtt.ts), read nothing, since payloads carry
 * push tokens.
 *
 * The user name is `dataset.{slug}`, not the embedded broker's `dataset:{slug}`: ":"
 * separates user and hash in Mosquitto's password file, so mosquitto_passwd refuses such
 * a name and Mosquitto drops the line ("Invalid password hash type for user dataset").
 * "." is in neither a gateway id nor a slug, so the name cannot collide with a gateway's.
 */

export const mosquittoDatasetUser = (slug: string): string => `dataset.${slug}`;

export const datasetRowsTopic = (topicRoot: string, slug: string): string => `${topicRoot}/$bridge/datasets/${slug}/rows`;

export interface DatasetMosquittoFiles {
  /** Password-file lines, newline-terminated ('' when none). */
  passwd: string;
  /** ACL-file sections, to append after the gateways' and the central's. */
  acl: string;
  exported: string[];
  /** Datasets whose token predates the stored Mosquitto hash: a new token exports them. */
  skipped: string[];
}

/** The topics of `pattern` lines (`pattern [read|write|readwrite|deny] TOPIC`) of an ACL file. */
function patternTopics(acl: string): string[] {
  return acl.split('\n').flatMap((line) => {
    const words = line.trim().split(/\s+/);
    return words[0] === 'pattern' && words.length >= 2 ? [words.slice(words.length >= 3 ? 2 : 1).join(' ')] : [];
  });
}

/**
 * `gatewayAcl`: the ACL the sections are appended to. Mosquitto applies its `pattern`
 * lines to every user, and checks a user's `deny` lines before anything else, so each
 * pattern is denied to each dataset user with %u filled in: what is left is its topic.
 */
export function datasetMosquittoFiles(topicRoot: string, datasets: readonly { slug: string; hash: string | null }[], gatewayAcl = ''): DatasetMosquittoFiles {
  const withHash = datasets.filter((d): d is { slug: string; hash: string } => d.hash !== null);
  const patterns = patternTopics(gatewayAcl);
  const section = (slug: string): string[] => {
    const user = mosquittoDatasetUser(slug);
    return ['', `user ${user}`, `topic write ${datasetRowsTopic(topicRoot, slug)}`, ...patterns.map((p) => `topic deny ${p.replaceAll('%u', user)}`)];
  };
  const acl = withHash.length === 0 ? '' : [
    '# Dataset publishers (password: the push token): each publishes only its own rows and reads nothing.',
    '# The deny lines withhold what the gateway patterns above would grant them; the central',
    '# (readwrite # above) receives the rows, also through $share/{group}/.',
    ...withHash.flatMap((d) => section(d.slug)),
    '',
  ].join('\n');
  const passwd = withHash.map((d) => `${mosquittoDatasetUser(d.slug)}:${d.hash}\n`).join('');
  return { passwd, acl, exported: withHash.map((d) => d.slug), skipped: datasets.filter((d) => d.hash === null).map((d) => d.slug) };
}
