/**
 * The redaction corpus: at least one real-looking sample per kind (the secret parts listed must not
 * survive, the kind must be counted) and ordinary log lines that must come through byte for byte.
 * Every secret here is made up or a vendor's published example value.
 */
export interface Sample {
  kind: string;
  /** One or more lines, as a box would log them. */
  text: string;
  /** Substrings that are the secret: none may be left after redaction. */
  secrets: string[];
}

const B64_KEY_LINES = [
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ',
];
const pem = (label: string, prefix = '') => [`${prefix}-----BEGIN ${label}-----`, ...B64_KEY_LINES.map((l) => `${prefix}${l}`), `${prefix}-----END ${label}-----`].join('\n');

export const SAMPLES: readonly Sample[] = [
  {
    kind: 'k3s-token',
    text: 'K3S_URL=https://10.77.0.11:6443 k3s agent --token K10c3a8f2d1e4b5a6978877665544332211::server:9f8e7d6c5b4a39281706f5e4d3c2b1a0',
    secrets: ['9f8e7d6c5b4a39281706f5e4d3c2b1a0'],
  },
  { kind: 'k3s-node-token', text: 'copied node-token: 8b1f0c2d3e4f5a6b7c8d9e0f1a2b3c4d to the agent', secrets: ['8b1f0c2d3e4f5a6b7c8d9e0f1a2b3c4d'] },
  {
    kind: 'kubeconfig-client-key-data',
    text: '    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUE3',
    secrets: ['LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUE3'],
  },
  {
    kind: 'kubeconfig-client-certificate-data',
    text: '    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRlZ0F3',
    secrets: ['LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRlZ0F3'],
  },
  {
    kind: 'kubeconfig-certificate-authority-data',
    text: '    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3',
    secrets: ['LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3'],
  },
  {
    kind: 'kubernetes-bootstrap-token',
    text: 'kubeadm join 10.0.0.5:6443 --discovery-token-unsafe-skip-ca-verification --token abcdef.0123456789abcdef',
    secrets: ['abcdef.0123456789abcdef'],
  },
  {
    kind: 'jwt',
    text: 'service account token eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c accepted',
    secrets: ['SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', 'eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0'],
  },
  {
    kind: 'gcp-service-account-key',
    text: '{"type": "service_account", "project_id": "plant4", "private_key_id": "1a2b", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n", "client_email": "sa@plant4.iam.gserviceaccount.com"}',
    secrets: ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
  },
  { kind: 'pem-private-key', text: pem('PRIVATE KEY'), secrets: B64_KEY_LINES },
  {
    kind: 'pem-private-key',
    text: 'tls.key="-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\\n-----END PRIVATE KEY-----"',
    secrets: ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw'],
  },
  { kind: 'pem-rsa-private-key', text: pem('RSA PRIVATE KEY'), secrets: B64_KEY_LINES },
  { kind: 'pem-ec-private-key', text: pem('EC PRIVATE KEY', 'Dec 02 10:00:01 edge-01 myapp[412]: '), secrets: B64_KEY_LINES },
  { kind: 'pem-openssh-private-key', text: pem('OPENSSH PRIVATE KEY'), secrets: B64_KEY_LINES },
  { kind: 'pem-dsa-private-key', text: pem('DSA PRIVATE KEY'), secrets: B64_KEY_LINES },
  {
    kind: 'pem-encrypted-private-key',
    text: [
      '-----BEGIN ENCRYPTED PRIVATE KEY-----',
      'Proc-Type: 4,ENCRYPTED',
      'DEK-Info: AES-256-CBC,6A3F5E1B2C4D',
      '',
      ...B64_KEY_LINES,
      '-----END ENCRYPTED PRIVATE KEY-----',
    ].join('\n'),
    secrets: [...B64_KEY_LINES, '6A3F5E1B2C4D'],
  },
  {
    kind: 'pgp-private-key-block',
    text: ['-----BEGIN PGP PRIVATE KEY BLOCK-----', 'Version: GnuPG v2', '', ...B64_KEY_LINES, '=nC3c', '-----END PGP PRIVATE KEY BLOCK-----'].join('\n'),
    secrets: B64_KEY_LINES,
  },
  { kind: 'pem-certificate', text: pem('CERTIFICATE'), secrets: B64_KEY_LINES },
  {
    kind: 'openssh-private-key-blob',
    text: 'key=b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ',
    secrets: ['AAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ'],
  },
  { kind: 'aws-access-key-id', text: 'aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE', secrets: ['AKIAIOSFODNN7EXAMPLE'] },
  { kind: 'aws-secret-access-key', text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', secrets: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'] },
  {
    kind: 'aws-session-token',
    text: 'aws_session_token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6',
    secrets: ['IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6'],
  },
  { kind: 'gcp-api-key', text: 'maps?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&q=plant', secrets: ['AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI'] },
  { kind: 'google-oauth-client-secret', text: 'oauth client configured with 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', secrets: ['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'] },
  {
    kind: 'azure-storage-account-key',
    text: 'DefaultEndpointsProtocol=https;AccountName=plant4logs;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net',
    secrets: ['Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq'],
  },
  {
    kind: 'azure-shared-access-key',
    text: 'Endpoint=sb://plant4.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=3uLnKmNzq8Z2vX5yT7wR1pS4oU6iE9aD0fG2hJ4kL6M=',
    secrets: ['3uLnKmNzq8Z2vX5yT7wR1pS4oU6iE9aD0fG2hJ4kL6M='],
  },
  {
    kind: 'azure-sas-signature',
    text: 'GET https://plant4.blob.core.windows.net/logs/a.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D 200',
    secrets: ['Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D'],
  },
  { kind: 'github-token', text: 'git clone https://x:ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/edge.git', secrets: ['ghp_16C7e42F292c6912E7710c838347Ae178B4a'] },
  {
    kind: 'github-fine-grained-token',
    text: 'GH auth with github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012',
    secrets: ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'],
  },
  {
    kind: 'gitlab-token',
    text: 'registering runner with glrt-2CR8_eVxiioB1QmzPZwa and glpat-xY9sdf8sHJ23kLmnP0qR',
    secrets: ['glrt-2CR8_eVxiioB1QmzPZwa', 'glpat-xY9sdf8sHJ23kLmnP0qR'],
  },
  { kind: 'slack-token', text: 'notifier using xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy', secrets: ['xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'] },
  { kind: 'slack-webhook', text: 'POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', secrets: ['XXXXXXXXXXXXXXXXXXXXXXXX'] },
  { kind: 'stripe-key', text: 'billing: using sk_live_4eC39HqLyjWDarjtT1zdp7dc', secrets: ['sk_live_4eC39HqLyjWDarjtT1zdp7dc'] },
  { kind: 'sendgrid-key', text: 'mailer key 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', secrets: ['TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr'] },
  { kind: 'openai-key', text: 'llm client sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD', secrets: ['abcdefghijklmnopqrstuvwxyz0123456789ABCD'] },
  { kind: 'vault-token', text: 'vault login hvs.CAESIJlU8x7uZ2kqJ5q7xN3fGk2lH9m0pQ', secrets: ['hvs.CAESIJlU8x7uZ2kqJ5q7xN3fGk2lH9m0pQ'] },
  { kind: 'npm-token', text: 'publishing with npm_1234567890abcdefghijklmnopqrstuvwxyz', secrets: ['npm_1234567890abcdefghijklmnopqrstuvwxyz'] },
  { kind: 'npmrc-auth-token', text: '//registry.example.com/:_authToken=9f3c1a7e-4b2d-11ee-be56-0242ac120002', secrets: ['9f3c1a7e-4b2d-11ee-be56-0242ac120002'] },
  { kind: 'docker-config-auth', text: '{"auths":{"registry.plant4.local:5000":{"auth":"cm9ib3Q6czNjcjN0UGFzcw=="}}}', secrets: ['cm9ib3Q6czNjcjN0UGFzcw=='] },
  { kind: 'bearer-token', text: 'GET /api/v1/pods HTTP/1.1 Authorization: Bearer 7f4b2c9e1d8a3f6b5c0e9d2a7b4f1c8e', secrets: ['7f4b2c9e1d8a3f6b5c0e9d2a7b4f1c8e'] },
  { kind: 'basic-auth', text: 'proxy request header Authorization: Basic YWRtaW46aHVudGVyMg==', secrets: ['YWRtaW46aHVudGVyMg=='] },
  { kind: 'url-credentials', text: 'connecting to postgres://app:Sup3r-s3cret@db.plant4.local:5432/telemetry', secrets: ['Sup3r-s3cret'] },
  { kind: 'cookie', text: 'request headers: Cookie: session=8a7sd6f5a4s3d2f1; csrftoken=abc123def', secrets: ['8a7sd6f5a4s3d2f1', 'abc123def'] },
  { kind: 'api-key-header', text: 'curl -H "X-Api-Key: 5b7c9d1e3f5a7b9c" http://10.0.0.9/metrics', secrets: ['5b7c9d1e3f5a7b9c'] },
  { kind: 'wireguard-private-key', text: 'PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=', secrets: ['yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk='] },
  { kind: 'wireguard-preshared-key', text: 'PresharedKey = /UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=', secrets: ['/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak='] },
  { kind: 'otp-secret', text: 'enrol: otpauth://totp/Plant4:tech?secret=JBSWY3DPEHPK3PXP&issuer=Plant4', secrets: ['JBSWY3DPEHPK3PXP'] },
  { kind: 'totp-secret', text: 'totp_secret: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', secrets: ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'] },
  {
    kind: 'password-hash',
    text: 'root:$6$rounds=5000$saltsalt$Y2Jp2zwSuIXyv4M6Q8v8kqVQJ8mJfQ0l1bkJh5vGzPq:19000:0:99999:7:::',
    secrets: ['Y2Jp2zwSuIXyv4M6Q8v8kqVQJ8mJfQ0l1bkJh5vGzPq'],
  },
  { kind: 'sshpass-password', text: 'cron[881]: (root) CMD (sshpass -p Edge2024! rsync -a /data backup@10.0.0.2:)', secrets: ['Edge2024!'] },
  { kind: 'mysql-password-arg', text: 'backup.sh: mysqldump -u root -pT0pS3cret plant4 > /tmp/db.sql', secrets: ['T0pS3cret'] },
  { kind: 'password-arg', text: 'exec registry-login --username robot --password hunter2-prod --insecure', secrets: ['hunter2-prod'] },
  { kind: 'token-arg', text: 'starting k3s agent --server https://10.77.0.11:6443 --agent-token 3f9a0c1b2d4e6f80 --node-name edge-03', secrets: ['3f9a0c1b2d4e6f80'] },
  { kind: 'mysql-pwd-env', text: 'env: MYSQL_PWD=r00tpw MYSQL_HOST=db', secrets: ['r00tpw'] },
  { kind: 'pgpassword-env', text: 'Environment: PGPASSWORD=pg-pass-42 PGUSER=ingest', secrets: ['pg-pass-42'] },
  { kind: 'env-password', text: 'container env: ADMIN_PASSWORD="Wint3r is coming" DB_PASS=q1w2e3r4 LOG_LEVEL=info', secrets: ['Wint3r is coming', 'q1w2e3r4'] },
  { kind: 'env-token', text: 'K3S_TOKEN=mysharedsecret123 K3S_URL=https://10.77.0.11:6443', secrets: ['mysharedsecret123'] },
  { kind: 'env-secret', text: 'environment: CLIENT_SECRET=c2VjcmV0LXZhbHVl STRIPE_API_KEY=abc987zyx', secrets: ['c2VjcmV0LXZhbHVl', 'abc987zyx'] },
  { kind: 'password-field', text: '{"user":"ingest","password":"p@ss:w0rd;1","host":"db"}', secrets: ['p@ss:w0rd;1'] },
  { kind: 'password-field', text: 'Server=db;Database=plant4;User Id=sa;Password=Yukon900;', secrets: ['Yukon900'] },
  { kind: 'token-field', text: 'auth refreshed: {"access_token": "ya29.a0AfH6SMBx3", "expires_in": 3599}', secrets: ['ya29.a0AfH6SMBx3'] },
  { kind: 'secret-field', text: 'oidc: client_secret=8f14e45fceea167a5a36dedd4bea2543 issuer=https://id.plant4', secrets: ['8f14e45fceea167a5a36dedd4bea2543'] },
  {
    kind: 'credit-card',
    text: 'payment kiosk: card 4111 1111 1111 1111 declined, retry with 5555-5555-5555-4444 or 378282246310005',
    secrets: ['4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005'],
  },
  {
    kind: 'kubernetes-secret-data',
    text: ['apiVersion: v1', 'data:', '  password: c3VwZXJzZWNyZXQ=', '  username: YWRtaW4=', 'kind: Secret', 'metadata:', '  name: db-credentials', 'type: Opaque'].join('\n'),
    secrets: ['c3VwZXJzZWNyZXQ=', 'YWRtaW4='],
  },
  {
    kind: 'kubernetes-secret-data',
    text: [
      '{',
      '    "apiVersion": "v1",',
      '    "data": {',
      '        "tls.crt": "LS0tLS1CRUdJTiBDRVJU",',
      '        "tls.key": "LS0tLS1CRUdJTiBQUklW"',
      '    },',
      '    "kind": "Secret"',
      '}',
    ].join('\n'),
    secrets: ['LS0tLS1CRUdJTiBDRVJU', 'LS0tLS1CRUdJTiBQUklW'],
  },
  {
    kind: 'kubernetes-secret-data',
    text: 'audit: {"kind":"Secret","apiVersion":"v1","data":{"token":"ZXlKaGJHY2lPaUpTVXpJ","ca.crt":"TFMwdExTMUNSVWRK"}}',
    secrets: ['ZXlKaGJHY2lPaUpTVXpJ', 'TFMwdExTMUNSVWRK'],
  },
  { kind: 'kubernetes-secret-data', text: ['stringData:', '  api-key: plain text secret value', 'type: Opaque'].join('\n'), secrets: ['plain text secret value'] },
];

/** Ordinary lines from journald, k3s, containerd, the kernel: none may change. */
export const ORDINARY: readonly string[] = [
  '2026-12-02T10:14:07.123456+0000 edge-01 systemd[1]: Started k3s.service - Lightweight Kubernetes.',
  '2026-12-02T10:14:08.000001+0000 edge-01 k3s[812]: time="2026-12-02T10:14:08Z" level=info msg="Starting k3s v1.30.4+k3s1 (98262b5d)"',
  '2026-12-02T10:14:08.511+0000 edge-01 k3s[812]: I1202 10:14:08.511223     812 server.go:176] "Starting Kubernetes API server" version="v1.30.4+k3s1"',
  'I1202 10:15:02.004215     812 kubelet.go:2414] "SyncLoop ADD" source="api" pods=["kube-system/coredns-6799fbcd5-x7k2p","kube-system/metrics-server-54fd9b65b-8qgwz"]',
  'E1202 10:15:09.771020     812 pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=app pod=sensor-7c9f8d6b5-qwert_default(6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8)\\"" pod="default/sensor-7c9f8d6b5-qwert"',
  'time="2026-12-02T10:15:10.112233Z" level=info msg="PullImage \\"docker.io/rancher/mirrored-pause:3.6\\""',
  'time="2026-12-02T10:15:11.445566Z" level=info msg="ImageCreate event name:\\"sha256:6270bb605e12e581514ada5fd5b3216f727db55dc87d5889c790e4c760683fee\\" labels:{key:\\"io.cri-containerd.image\\" value:\\"managed\\"}"',
  'time="2026-12-02T10:15:12Z" level=info msg="CreateContainer within sandbox \\"3f2a9d8c7b6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a\\" for container &ContainerMetadata{Name:app,Attempt:3,}"',
  'image docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31 pulled in 2.1s',
  '[  608.035729] thermal thermal_zone0: critical temperature reached (95 C), shutting down in 0 s',
  '[    0.017661] DMI: Northgate Industrial NG-Edge 4/NG-Edge 4, BIOS 1.0.7 03/14/2024',
  '[   12.334455] EXT4-fs (sda1): mounted filesystem 5d1c3b9a-2e4f-4a6b-8c7d-9e0f1a2b3c4d r/w with ordered data mode. Quota mode: none.',
  '[  101.000001] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=cri-containerd-3f2a9d8c,mems_allowed=0,task=sensor,pid=4412,uid=0',
  'Dec  2 10:16:01 edge-01 sshd[1021]: Accepted password for root from 10.77.0.2 port 56356 ssh2',
  'Dec  2 10:16:02 edge-01 sshd[1021]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)',
  'Dec  2 10:16:05 edge-01 sshd[1044]: Failed password for invalid user admin from 10.77.0.99 port 40022 ssh2',
  'Dec  2 10:17:00 edge-01 CRON[1102]: (root) CMD (/usr/local/bin/rotate-logs --keep 7)',
  'Dec  2 10:18:00 edge-01 kernel: [ 1200.55] IPv4: martian source 10.77.0.255 from 10.77.0.14, on dev eth0',
  'Dec  2 10:18:10 edge-01 avahi-daemon[455]: Registering new address record for fe80::f1:4bff:fe00:1 on eth0.*.',
  'Dec  2 10:18:11 edge-01 systemd-timesyncd[301]: Initial synchronization to time server 10.77.0.1:123 (ntp.plant4.local).',
  'level=warning msg="failed to renew lease kube-system/k3s: timed out waiting for the condition" uid=3c5d7e9f-1a2b-4c6d-8e0f-a1b2c3d4e5f6',
  'Pod kube-system/svclb-traefik-8a1b2c3d-x9y8z scheduled to edge-01 (node uid 7d2e1f0a-9b8c-4d3e-a2f1-0e9d8c7b6a5f)',
  'event: reason=BackOff type=Warning object=pod/sensor-7c9f8d6b5-qwert message="Back-off pulling image registry.plant4.local:5000/sensor:1.4.2"',
  'containerd: level=info msg="loading plugin \\"io.containerd.grpc.v1.cri\\"..." type=io.containerd.grpc.v1',
  'etcd: {"level":"info","ts":"2026-12-02T10:19:00.000Z","caller":"etcdserver/server.go:2062","msg":"published local member to cluster","local-member-id":"8e9e05c52164694d","cluster-id":"cdf818194e3a8c32"}',
  'kubelet: Successfully pulled image "rancher/klipper-helm:v0.8.4-build20240523" in 1.204s (1.204s including waiting). Image size: 62381234 bytes.',
  'user tech@plant4.example logged in to the console from 10.77.0.2',
  'Request GET /healthz 200 1.2ms ua="kube-probe/1.30" id=req-01HF3Z8Q6R7S8T9V0W1X2Y3Z4A',
  'Password authentication disabled by profile; use the technician key instead',
  'token bucket refilled: 50 tokens/s, burst 100',
  'secret "db-credentials" created in namespace default',
  'The basic setup is complete: 3 nodes ready',
  'mkdir -p /var/lib/rancher/k3s/agent/images && ssh -p 2222 edge-02 uptime',
  'Configured data directory /var/lib/rancher/k3s/data with 12 GiB free; metadata cache warm',
  'order 1000123412341234 shipped at 1796252704494643 ns; serial FL25XFTCD15; boot 97607ec4d75775faee90433f9c60fe1e',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq0j1dXm2v4p8eW9kTfR3sLzYbXcN5oQ6aU7iE8gV1w tech@laptop',
  'Dec  2 10:20:00 edge-01 systemd[1]: Starting logrotate.service - Rotate log files...',
];
