/**
 * The single-line redaction rules. Each rule's regex has group 1 = text kept before the secret (may
 * be empty), group 2 = the secret, optional group 3 = text kept after it; only group 2 becomes
 * `[REDACTED:<kind>]`. `hints` are lower-case literals one of which must occur in the line for the
 * rule to run at all: one combined hint scan per line is what keeps ordinary lines at memcpy-like
 * speed (see redact.ts). A rule with no hints runs on every line and so must be cheap and anchored
 * on a literal-free but rare shape (card numbers).
 *
 * Values never re-match a mask: generic value patterns start with (?!\[REDACTED:).
 *
 * Decided and not masked: e-mail addresses (they say who did what, are not credentials, and a site
 * that treats them as personal data adds a pattern in Settings); IP addresses, host names, UUIDs and
 * image digests (they are what a technician diagnoses with).
 */
export interface Rule {
  kind: string;
  re: RegExp;
  hints: string[];
  /** A last say on a candidate secret (Luhn for card numbers, a colon inside base64 for Basic auth). */
  check?: (secret: string) => boolean;
}

const V = `(?!["']?\\[REDACTED:)`; // a value (quoted or not) that is not already a mask
const QVAL = `${V}(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"',;&}\\]]+)`; // a quoted or bare value

/** Luhn over the digits of s, for card numbers. */
export function luhn(s: string): boolean {
  const d = s.replace(/\D/g, '');
  if (d.length < 13 || d.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

/** Basic auth is base64 of "user:password"; English after the word "Basic" is not. */
function basicCredential(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const t = Buffer.from(s, 'base64').toString('latin1');
  return t.includes(':') && /^[\x20-\x7e]+$/.test(t);
}

const r = (kind: string, source: string, hints: string[], flags = 'g', check?: (s: string) => boolean): Rule => ({ kind, re: new RegExp(source, flags), hints, check });

/** Specific shapes first, generic "name = value" last: the first rule to mask a value names its kind. */
export const RULES: readonly Rule[] = [
  // k3s and Kubernetes
  r('k3s-token', `()(\\bK10[0-9a-f]{16,}::[A-Za-z0-9_.-]+:[^\\s"',;]+)`, ['k10']),
  r('k3s-node-token', `(node-token["']?\\s*[:=]?\\s*["']?)(${V}[^\\s"',;]{8,})`, ['node-token']),
  r('kubeconfig-client-key-data', `(client-key-data["']?\\s*:\\s*["']?)(${V}[A-Za-z0-9+/=]{8,})`, ['client-key-data']),
  r('kubeconfig-client-certificate-data', `(client-certificate-data["']?\\s*:\\s*["']?)(${V}[A-Za-z0-9+/=]{8,})`, ['client-certificate-data']),
  r('kubeconfig-certificate-authority-data', `(certificate-authority-data["']?\\s*:\\s*["']?)(${V}[A-Za-z0-9+/=]{8,})`, ['certificate-authority-data']),
  r('kubernetes-bootstrap-token', `((?:token|join)[^\\n]{0,40}?)(\\b[a-z0-9]{6}\\.[a-z0-9]{16}\\b)`, ['token', 'join']),
  r('jwt', `()(\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,})`, ['eyj']),
  // PEM written on one line (JSON strings with \n escapes); multi-line blocks are redact.ts's state machine.
  r('gcp-service-account-key', `("private_key"\\s*:\\s*")(${V}[^"]{16,})`, ['"private_key"']),
  r('pem-private-key', `()(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:\\\\n|[^-])*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)`, ['private key']),
  r('pem-certificate', `()(-----BEGIN CERTIFICATE-----(?:\\\\n|[^-])*?-----END CERTIFICATE-----)`, ['begin certificate']),
  r('openssh-private-key-blob', `()(b3BlbnNzaC1rZXktdjE[A-Za-z0-9+/=]{20,})`, ['b3blbnnzac1rzxktdje']),
  // Cloud providers
  r('aws-access-key-id', `()(\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\\b)`, ['akia', 'asia', 'agpa', 'aida', 'aroa', 'anpa', 'anva', 'aipa'], 'gi'),
  r(
    'aws-secret-access-key',
    `((?:aws_secret_access_key|secretaccesskey|aws_secret_key)["']?\\s*[:=]\\s*["']?)(${V}[A-Za-z0-9/+=]{30,})`,
    ['secret_access_key', 'secretaccesskey', 'aws_secret_key'],
    'gi',
  ),
  r('aws-session-token', `((?:aws_session_token|sessiontoken)["']?\\s*[:=]\\s*["']?)(${V}[A-Za-z0-9/+=]{16,})`, ['session_token', 'sessiontoken'], 'gi'),
  r('gcp-api-key', `()(\\bAIza[0-9A-Za-z_-]{35})`, ['aiza'], 'g'),
  r('google-oauth-client-secret', `()(\\bGOCSPX-[A-Za-z0-9_-]{20,})`, ['gocspx']),
  r('azure-storage-account-key', `(AccountKey=)(${V}[A-Za-z0-9+/=]{20,})`, ['accountkey='], 'gi'),
  r('azure-shared-access-key', `(SharedAccessKey=)(${V}[A-Za-z0-9+/=]{16,})`, ['sharedaccesskey='], 'gi'),
  r('azure-sas-signature', `([?&;]sig=)(${V}[A-Za-z0-9%+/=]{16,})`, ['sig='], 'gi'),
  // Code hosts, chat, payments, registries
  r('github-token', `()(\\bgh[pousr]_[A-Za-z0-9]{36,255}\\b)`, ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_']),
  r('github-fine-grained-token', `()(\\bgithub_pat_[A-Za-z0-9_]{22,255})`, ['github_pat_']),
  r('gitlab-token', `()(\\bgl(?:pat|rt|dt|ptt|cbt|soat)-[A-Za-z0-9_-]{20,})`, ['glpat-', 'glrt-', 'gldt-', 'glptt-', 'glcbt-', 'glsoat-']),
  r('slack-token', `()(\\bxox[abposre]-[A-Za-z0-9-]{10,})`, ['xox']),
  r('slack-webhook', `(hooks\\.slack\\.com/services/)(T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+)`, ['hooks.slack.com']),
  r('stripe-key', `()(\\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,})`, ['_live_', '_test_']),
  r('sendgrid-key', `()(\\bSG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,})`, ['sg.']),
  r('openai-key', `()(\\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,})`, ['sk-']),
  r('vault-token', `()(\\bhv[sbr]\\.[A-Za-z0-9_-]{24,})`, ['hvs.', 'hvb.', 'hvr.']),
  r('npm-token', `()(\\bnpm_[A-Za-z0-9]{36}\\b)`, ['npm_']),
  r('npmrc-auth-token', `(_authToken\\s*=\\s*)(${V}\\S+)`, ['_authtoken']),
  r('docker-config-auth', `("(?:auth|identitytoken|registrytoken)"\\s*:\\s*")(${V}[^"]{8,})`, ['"auth"', '"identitytoken"', '"registrytoken"'], 'gi'),
  // HTTP
  r('bearer-token', `(\\bbearer\\s+)(${V}[A-Za-z0-9._~+/=-]{8,})`, ['bearer'], 'gi'),
  r('basic-auth', `(\\bbasic\\s+)(${V}[A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])`, ['basic'], 'gi', basicCredential),
  r('url-credentials', `(\\b[a-z][a-z0-9+.-]{1,20}://[^\\s/:@"']{1,128}:)(${V}[^\\s/@"']{1,256})(@)`, ['://'], 'gi'),
  r('cookie', `(\\b(?:set-)?cookie["']?\\s*[:=]\\s*)(${V}[^\\n]{4,})`, ['cookie'], 'gi'),
  r('api-key-header', `(\\bx-(?:api-key|auth-token|access-token)["']?\\s*[:=]\\s*["']?)(${V}[^\\s"',;]{4,})`, ['x-api-key', 'x-auth-token', 'x-access-token'], 'gi'),
  // Keys and one-time-password seeds
  r('wireguard-private-key', `(\\bPrivateKey\\s*=\\s*)(${V}[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)`, ['privatekey'], 'gi'),
  r('wireguard-preshared-key', `(\\bPresharedKey\\s*=\\s*)(${V}[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)`, ['presharedkey'], 'gi'),
  r('otp-secret', `(otpauth://[^\\s?]*\\?(?:[^\\s]*&)?secret=)(${V}[A-Za-z2-7]+=*)`, ['otpauth://'], 'gi'),
  r('totp-secret', `(\\b(?:totp|otp|mfa|2fa)[_-]?(?:secret|seed|key)["']?\\s*[:=]\\s*["']?)(${V}[A-Za-z2-7]{16,}=*)`, ['totp', 'otp', 'mfa', '2fa'], 'gi'),
  r('password-hash', `()(\\$(?:1|2[abyx]?|5|6|y|7|apr1)\\$[./A-Za-z0-9$=,]{8,}\\$?[./A-Za-z0-9]{20,})`, ['$1$', '$2', '$5$', '$6$', '$y$', '$7$', '$apr1$']),
  // Passwords and secrets on command lines
  r('sshpass-password', `(\\bsshpass\\s+(?:-[a-oq-z]\\s+\\S+\\s+)*-p\\s*)(${V}\\S+)`, ['sshpass']),
  r('mysql-password-arg', `(\\b(?:mysql|mysqladmin|mysqldump|mariadb|mariadb-dump)\\b[^\\n]*?\\s-p)(${V}[^\\s-][^\\s]*)`, ['mysql', 'mariadb']),
  r(
    'password-arg',
    `(\\s--?(?:password|passwd|pass|pwd|passphrase|db-password|admin-password)(?:=|\\s+))(${V}(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"']+))`,
    ['-pass', '-pwd', 'password'],
    'gi',
  ),
  r(
    'token-arg',
    `(\\s--?[a-z-]*(?:token|secret|api-key|apikey|access-key|auth-key)(?:=|\\s+))(${V}(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"'-][^\\s"']*))`,
    ['token', 'secret', 'api-key', 'apikey', 'access-key', 'auth-key'],
    'gi',
  ),
  // Passwords and secrets in the environment (NAME=value, upper case as environments are)
  r('mysql-pwd-env', `(\\bMYSQL_PWD=)(${V}\\S+)`, ['mysql_pwd']),
  r('pgpassword-env', `(\\bPGPASSWORD=)(${V}\\S+)`, ['pgpassword']),
  r('env-password', `(\\b[A-Z0-9_]*(?:PASSWORD|PASSWD|_PASS|_PWD|PASSPHRASE)[A-Z0-9_]*=)(${QVAL})`, ['password', 'passwd', '_pass', '_pwd', 'passphrase'], 'g'),
  r('env-token', `(\\b[A-Z0-9_]*TOKEN[A-Z0-9_]*=)(${QVAL})`, ['token'], 'g'),
  r(
    'env-secret',
    `(\\b[A-Z0-9_]*(?:SECRET|PRIVATE_KEY|API_KEY|APIKEY|ACCESS_KEY|CREDENTIALS?)[A-Z0-9_]*=)(${QVAL})`,
    ['secret', 'private_key', 'api_key', 'apikey', 'access_key', 'credential'],
    'g',
  ),
  // Generic fields in config, JSON, YAML, connection strings: last, so specific kinds win.
  r('password-field', `(\\b(?:password|passwd|pwd|passphrase|pass)["']?\\s*[:=]\\s*)(${QVAL})`, ['pass', 'pwd'], 'gi'),
  r('token-field', `(\\b(?:token|access_token|refresh_token|id_token|auth_token|api_token|accessToken|refreshToken)["']?\\s*[:=]\\s*)(${QVAL})`, ['token'], 'gi'),
  r(
    'secret-field',
    `(\\b(?:secret|client_secret|clientSecret|api_key|apiKey|apikey|secret_key|secretKey|private_key|privateKey)["']?\\s*[:=]\\s*)(${QVAL})`,
    ['secret', 'api_key', 'apikey', 'private_key', 'privatekey', 'secretkey'],
    'gi',
  ),
  // Payment cards: Visa, Mastercard, Amex, Discover shapes, Luhn-checked. No hint: it runs on every
  // line, so it is anchored on a first digit and a fixed group shape.
  r(
    'credit-card',
    `()((?<![\\d.:/-])(?:4\\d{3}|5[1-5]\\d{2}|2[2-7]\\d{2}|6011|65\\d{2})(?:[ -]?\\d{4}){3}(?:\\d{3})?(?![\\d.:/-])|(?<![\\d.:/-])3[47]\\d{2}[ -]?\\d{6}[ -]?\\d{5}(?![\\d.:/-]))`,
    [],
    'g',
    luhn,
  ),
];

/** The kinds the block state machine in redact.ts masks across lines. */
export const BLOCK_KINDS = [
  'pem-private-key',
  'pem-encrypted-private-key',
  'pem-rsa-private-key',
  'pem-ec-private-key',
  'pem-openssh-private-key',
  'pem-dsa-private-key',
  'pgp-private-key-block',
  'pem-certificate',
  'kubernetes-secret-data',
] as const;

/** Every kind Fieldlink masks, for the UI's legend and the tests' coverage check. */
export const KINDS: readonly string[] = [...new Set([...RULES.map((x) => x.kind), ...BLOCK_KINDS])];
