import { markerPrintf } from './frames.ts';

/*
 * Shell text we type into the box's console. Every script goes over as
 * `eval "$(printf %s '<base64>' | base64 -d)"`: the line carries no quote, newline or marker the
 * console could echo back as if it were output, and a command with a syntax error fails inside eval
 * instead of leaving the shell waiting for a closing quote. Targets are POSIX sh plus coreutils.
 */

/** Above this, a line risks the 4095-byte canonical-mode limit of a shell without line editing. */
const MAX_LINE = 3000;

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The keystrokes that run `script` at the shell prompt (CR, as a terminal sends it). */
export function typed(script: string): string {
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  // stderr of the script itself is dropped: a stray shell message inside a frame would void it.
  if (b64.length <= MAX_LINE) return `eval "$(printf %s '${b64}' | base64 -d)" 2>/dev/null\r`;
  return `__flc=$(base64 -d <<'__FLEOF'\r${wrap(b64)}\r__FLEOF\r); eval "$__flc" 2>/dev/null\r`;
}

/**
 * Bytes for a command's stdin, stored on the box before the command runs (heredoc, base64 lines), in
 * the private scratch folder. Without one the heredoc is read and dropped, and the command's own
 * script then reports the missing folder.
 */
export function typedStdinFile(stdin: Uint8Array): string {
  const b64 = Buffer.from(stdin).toString('base64');
  return `${ENSURE_DIR}; if [ -n "$__fld" ]; then base64 -d >"$__fld/i"; else cat >/dev/null; fi <<'__FLEOF'\r${b64.length > 0 ? `${wrap(b64)}\r` : ''}__FLEOF\r`;
}

function wrap(b64: string): string {
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r');
}

/**
 * The session's scratch folder on the box (stderr, exit code, stdin, chunks): made by mktemp under
 * umask 077, so its name cannot be guessed and nobody else can look inside or plant a link in it.
 * One left from an earlier session is kept only if it is still our own folder (not a symlink, owned
 * by the login user, named as we name it: an old `/tmp` fallback is not reused). Without mktemp
 * `$__fld` stays empty and every script says so with an N marker instead of falling back to fixed
 * names in a folder everyone can write.
 */
const ENSURE_DIR =
  'case $__fld in /tmp/fl.*) [ -d "$__fld" ] && [ ! -L "$__fld" ] && [ -O "$__fld" ] ;; *) false ;; esac || ' +
  "__fld=$(umask 077 && mktemp -d /tmp/fl.XXXXXXXXXX 2>/dev/null) || __fld=''";

/** `body` only where the scratch folder exists; else the N marker (FrameReader turns it into an error). */
function withScratch(nonce: string, body: string[]): string[] {
  return [ENSURE_DIR, 'if [ -n "$__fld" ]; then', ...body, 'else', markerPrintf('N', nonce), 'fi'];
}

/** Runs once after login: a known prompt, no echo, wide lines, no pagers or colours, no history. */
export function setupScript(nonce: string): string {
  return [
    // What a person at the console had, so the terminal view and close() can give it back.
    `__flstty=\${__flstty-$(stty -g 2>/dev/null)}; __flps1=\${__flps1-$PS1}; __flps2=\${__flps2-$PS2}; __flterm=\${__flterm-$TERM}; __flhist=\${__flhist-$HISTFILE}`,
    'stty -echo cols 1000 2>/dev/null',
    "PS1='fieldlink# '; PS2=''; PROMPT_COMMAND=''",
    'unset HISTFILE; set +o history 2>/dev/null',
    "bind 'set enable-bracketed-paste off' >/dev/null 2>&1",
    "export TERM=dumb PAGER=cat SYSTEMD_PAGER='' SYSTEMD_COLORS=0",
    ...withScratch(nonce, [markerPrintf('Y', nonce)]),
  ].join('\n');
}

/** Gives the console back to a person: their stty settings, prompt and TERM. */
export function restoreScript(): string {
  return [
    '[ -n "$__flstty" ] && stty "$__flstty" 2>/dev/null',
    '[ -n "${__flps1+x}" ] && PS1=$__flps1 && PS2=$__flps2',
    '[ -n "$__flterm" ] && TERM=$__flterm',
    '[ -n "$__flhist" ] && HISTFILE=$__flhist; set -o history 2>/dev/null',
    'unset __flstty __flps1 __flps2 __flterm __flhist __flc',
    'case $__fld in /tmp/fl.*) [ -d "$__fld" ] && [ ! -L "$__fld" ] && [ -O "$__fld" ] && rm -rf "$__fld" ;; esac; unset __fld',
  ].join('\n');
}

export function syncScript(nonce: string): string {
  return markerPrintf('Y', nonce);
}

/**
 * One command: its stdout and stderr each base64-encoded between markers, then the exit status.
 * The command runs in a subshell (an `exit` or `cd` in it cannot end or move our login shell) with
 * stdin from the uploaded file or /dev/null, never the console.
 */
export function execScript(nonce: string, command: string, hasStdin: boolean): string {
  const cmd = Buffer.from(command, 'utf8').toString('base64');
  return [
    ...withScratch(nonce, [
      `__flc=$(printf %s '${cmd}' | base64 -d)`,
      markerPrintf('S', nonce),
      `{ (eval "$__flc") <${hasStdin ? '"$__fld/i"' : '/dev/null'} 2>"$__fld/e"; echo "$?" >"$__fld/x"; } | base64`,
      markerPrintf('M', nonce),
      'base64 <"$__fld/e"',
      markerPrintf('E', nonce, ['"$(cat "$__fld/x" 2>/dev/null)"']),
    ]),
    // The command may carry a secret (a join token): it must not linger in the shell for a person to find.
    `unset __flc; [ -n "$__fld" ] && ${hasStdin ? 'rm -f "$__fld/i" "$__fld/e"' : 'rm -f "$__fld/e"'}`,
  ].join('\n');
}

export type UploadMode = 'raw' | 'base64';

/** Sent by the technician once it has stopped sending a failed upload; fresh per session, so no file can hold it. */
export function endToken(nonce: string): string {
  return `FL-END-${nonce}-${nonce.split('').reverse().join('')}`;
}

/**
 * The end token as typed: ^U after it erases it again wherever a line is being edited (a shell or
 * login prompt), while the draining grep on the box still sees it in its line.
 */
export function endTokenKeys(nonce: string): string {
  return `\n${endToken(nonce)}\x15\n`;
}

/** Outcome codes in the receiver's Z marker. */
export const RECEIVE_DONE = '0';
export const RECEIVE_HASH_MISMATCH = '1';
export const RECEIVE_PARTIAL = '2';
export const RECEIVE_RENAME_FAILED = '3';
export const RECEIVE_NO_STTY = '4';

/**
 * The box side of an upload. The tty goes raw (or stays cooked-but-unbuffered for base64), then per
 * chunk: a 64-hex sha256 header and the chunk; `head -c` reads exactly that many bytes (GNU head
 * never reads past its count), sha256sum checks it, and only a good chunk is appended to the part
 * file. `min 0 time 50` plus `timeout --foreground` bound every read, so a pulled cable leaves the
 * box back at its prompt by itself. After a bad chunk the box reads on until the technician's end
 * token: bytes arrive in order, so every byte still in flight is consumed before the tty goes back
 * to cooked mode, and none can reach the shell as a command, even from a line that stalled.
 */
export function receiveScript(p: {
  nonce: string;
  part: string;
  target: string;
  mode: number;
  first: number;
  count: number;
  chunk: number;
  last: number;
  sha256: string;
  chunkTimeoutS: number;
  drainTimeoutS: number;
  uploadMode: UploadMode;
}): string {
  const n = p.nonce;
  const read = p.uploadMode === 'raw' ? '$t head -c "$k" >"$__fld/k"' : '$t head -c $(( (k + 2) / 3 * 4 )) | base64 -d >"$__fld/k" 2>/dev/null';
  const ttyMode = p.uploadMode === 'raw' ? 'raw -echo -iexten' : '-echo -icanon';
  return withScratch(n, [
    `p=${shellQuote(p.part)}; i=${p.first}; n=${p.count}; t=''; td=''`,
    `command -v timeout >/dev/null 2>&1 && t='timeout --foreground ${p.chunkTimeoutS}' && td='timeout --foreground ${p.drainTimeoutS}'`,
    '__flo=$(stty -g)',
    // The part file is still the one partStateScript made or vetted: else nothing is sent, and the
    // technician asks for a fresh one.
    `if ! { [ -f "$p" ] && [ ! -L "$p" ] && [ -O "$p" ]; }; then`,
    markerPrintf('Z', n, [RECEIVE_PARTIAL, '0']),
    `elif stty ${ttyMode} min 0 time 50 2>/dev/null; then`,
    markerPrintf('R', n),
    'while [ "$i" -lt "$n" ]; do',
    `k=${p.chunk}; [ "$i" -eq $((n - 1)) ] && k=${p.last}`,
    'h=$($t head -c 64)',
    read,
    's=$(sha256sum <"$__fld/k")',
    'if [ "${s%% *}" = "$h" ] && cat "$__fld/k" >>"$p"; then',
    markerPrintf('K', n, ['"$i"']),
    'i=$((i + 1)); else',
    markerPrintf('B', n, ['"$i"', '"$(wc -c <"$__fld/k")"', '"${#h}"']),
    'break; fi; done',
    // Everything we sent before the end token is consumed here, however long the line held it.
    `if [ "$i" -lt "$n" ]; then $td grep -a -m1 -F ${shellQuote(endToken(n))} >/dev/null; fi`,
    'stty "$__flo"; rm -f "$__fld/k"',
    'if [ "$i" -lt "$n" ]; then r=2; else s=$(sha256sum <"$p")',
    `if [ "\${s%% *}" = ${p.sha256} ]; then chmod ${p.mode.toString(8)} "$p" && mv -f "$p" ${shellQuote(p.target)} && r=0 || r=3; else rm -f "$p"; r=1; fi; fi`,
    markerPrintf('Z', n, ['"$r"', '"$(wc -c 2>/dev/null <"$p" || echo 0)"']),
    'else',
    markerPrintf('Z', n, [RECEIVE_NO_STTY, '0']),
    'fi',
  ]).join('\n');
}

/** The part file's random tail: 16 hex, chosen by the technician (so it can travel in a marker field). */
export const PART_ID = /^[0-9a-f]{16}$/;

/**
 * Finds or makes the part file of an upload, then says how much of it the box already holds (cut
 * back to whole chunks) and the sha256 of that prefix. Part files are `<prefix><16 hex>`: an earlier
 * attempt's is continued only if it is a regular file (not a symlink) owned by the login user; else a
 * new one is made with a name nobody could guess, created exclusively (noclobber, umask 077), so a
 * link planted on the box cannot steer the bytes elsewhere. P fields: bytes held (or `-` when no part
 * file could be made), their sha256, whether `timeout` exists, and the part file's id.
 */
export function partStateScript(nonce: string, prefix: string, freshId: string, chunk: number): string {
  if (!PART_ID.test(freshId)) throw new Error('partStateScript: the fresh id must be 16 hex digits');
  const pre = shellQuote(prefix);
  return [
    `p=''; q=''; for c in ${pre}*; do s=\${c#${pre}}; case $s in *[!0-9a-f]*|'') continue ;; esac`,
    '[ "${#s}" -eq 16 ] && [ -f "$c" ] && [ ! -L "$c" ] && [ -O "$c" ] && { p=$c; q=$s; break; }; done',
    `if [ -z "$p" ]; then c=${pre}${freshId}; if (umask 077; set -C; : >"$c") 2>/dev/null; then p=$c; q=${freshId}; fi; fi`,
    'command -v timeout >/dev/null 2>&1 && tm=1 || tm=0',
    'if [ -z "$p" ]; then',
    markerPrintf('P', nonce, ["'-'", '0', '"$tm"', "''"]),
    `else s=$(wc -c 2>/dev/null <"$p" || echo 0); k=$((s / ${chunk} * ${chunk}))`,
    'if [ "$k" -gt 0 ]; then [ "$k" -lt "$s" ] && truncate -s "$k" "$p"; h=$(head -c "$k" "$p" | sha256sum); else : 2>/dev/null >|"$p"; h=0; fi',
    markerPrintf('P', nonce, ['"$k"', '"${h%% *}"', '"$tm"', '"$q"']),
    'fi',
  ].join('\n');
}

/** Size and sha256 of a file on the box, for get(). */
export function statScript(nonce: string, file: string): string {
  return [
    `p=${shellQuote(file)}`,
    'if [ -f "$p" ] && [ -r "$p" ]; then s=$(wc -c <"$p"); h=$(sha256sum <"$p"); r=0; elif [ -e "$p" ]; then r=2; s=0; h=0; else r=1; s=0; h=0; fi',
    markerPrintf('F', nonce, ['"$r"', '"$s"', '"${h%% *}"']),
  ].join('\n');
}

/** Streams a file in chunks, each as base64 between a C marker and an H marker with its sha256. */
export function sendFileScript(nonce: string, file: string, chunk: number, first: number, count: number): string {
  return withScratch(nonce, [
    `p=${shellQuote(file)}; i=${first}; n=${count}`,
    markerPrintf('S', nonce),
    'while [ "$i" -lt "$n" ]; do',
    `dd if="$p" bs=${chunk} skip="$i" count=1 2>/dev/null >"$__fld/g"`,
    markerPrintf('C', nonce, ['"$i"']),
    'base64 <"$__fld/g"; s=$(sha256sum <"$__fld/g")',
    markerPrintf('H', nonce, ['"$i"', '"${s%% *}"']),
    'i=$((i + 1)); done; rm -f "$__fld/g"',
    markerPrintf('E', nonce, ['0']),
  ]).join('\n');
}
