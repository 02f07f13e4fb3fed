// The Uplink chart, checked the way helm-unittest would, with the real helm (built once by the
// vitest global setup, see ensureHelm): `helm lint --strict`, then `helm template` for the
// default values and every ci/*.yaml value set, every rendered manifest validated offline against
// the Kubernetes API schemas that kubernetes-models ships (unknown kinds and unknown fields fail),
// and assertions over the rendered objects.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHelm } from '@uplink/dev-servers';
import * as kubernetesModels from 'kubernetes-models';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { type INetworkPolicy, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { type IPod, Pod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const CHART_DIR = fileURLToPath(new URL('..', import.meta.url));
const RELEASE = 'uplink';
const NAMESPACE = 'uplink-test';
const COMPONENTS = ['expiry-scheduler', 'link-service', 'note-relay', 'upload-gateway'] as const;
type Component = (typeof COMPONENTS)[number];
const VALUES_KEY: Record<Component, string> = {
  'expiry-scheduler': 'expiryScheduler',
  'link-service': 'linkService',
  'note-relay': 'noteRelay',
  'upload-gateway': 'uploadGateway',
};

// The value sets: the chart's defaults, and each ci/*.yaml (as chart-testing would install them).
const CI_FILES = (await readdir(join(CHART_DIR, 'ci'))).filter((f) => f.endsWith('.yaml')).sort();
const VALUE_SETS: Record<string, string[]> = {
  default: [],
  ...Object.fromEntries(CI_FILES.map((f) => [`ci/${f}`, ['-f', join(CHART_DIR, 'ci', f)]])),
};
const VALUE_SET_NAMES = Object.keys(VALUE_SETS);
const CHART = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
  appVersion: string;
  version: string;
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

let helmPath = '';
let helmHome = '';
const rendered = new Map<string, Manifest[]>();

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with its config, cache and data dirs in a scratch folder; never rejects. */
function helm(args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      helmPath,
      args,
      {
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(helmHome, 'cache'),
          HELM_CONFIG_HOME: join(helmHome, 'config'),
          HELM_DATA_HOME: join(helmHome, 'data'),
          KUBECONFIG: join(helmHome, 'no-kubeconfig'),
        },
        maxBuffer: 32 * 1024 * 1024,
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function parseManifests(text: string): Manifest[] {
  const docs = parseAllDocuments(text, { version: '1.1' });
  if (!Array.isArray(docs)) return [];
  return docs.flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as Manifest | null;
    return value ? [value] : [];
  });
}

/** `helm template` with the release and namespace the assertions expect; throws when helm fails. */
async function render(args: readonly string[], chartDir = CHART_DIR): Promise<Manifest[]> {
  const result = await helm(['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...args]);
  if (result.code !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** The manifests of one kind, typed by kubernetes-models' guard (e.g. Deployment.is). */
function only<T>(manifests: readonly Manifest[], guard: (value: unknown) => value is T): T[] {
  return (manifests as readonly unknown[]).filter(guard);
}

function valueSet(name: string): Manifest[] {
  const manifests = rendered.get(name);
  if (!manifests) throw new Error(`value set ${name} was not rendered`);
  return manifests;
}

function componentOf(manifest: { metadata?: { labels?: Record<string, string> } }): string | undefined {
  return manifest.metadata?.labels?.['app.kubernetes.io/component'];
}

function named<T extends { metadata?: { name?: string } }>(items: readonly T[], name: string): T {
  const found = items.find((item) => item.metadata?.name === name);
  if (!found) throw new Error(`nothing named ${name} among ${items.map((i) => i.metadata?.name).join(', ')}`);
  return found;
}

function deploymentOf(manifests: readonly Manifest[], component: Component): IDeployment {
  return named(only(manifests, Deployment.is), `${RELEASE}-${component}`);
}

function podSpecOf(deployment: IDeployment): IPodSpec {
  const spec = deployment.spec?.template.spec;
  if (!spec) throw new Error(`${deployment.metadata?.name} has no pod spec`);
  return spec;
}

function containerOf(spec: IPodSpec): IContainer {
  const [container] = spec.containers;
  if (!container || spec.containers.length !== 1) throw new Error('expected exactly one container');
  return container;
}

function envOf(container: IContainer, name: string): IEnvVar | undefined {
  return container.env?.find((e) => e.name === name);
}

/** The environment a component's pods get from their ConfigMap. */
function configOf(manifests: readonly Manifest[], component: Component): Record<string, string> {
  return named(only(manifests, ConfigMap.is), `${RELEASE}-${component}`).data ?? {};
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) {
  return (
    selector !== undefined &&
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels?.[key] === value)
  );
}

// ---------------------------------------------------------------------------------------------
// Offline validation against the Kubernetes API schemas in kubernetes-models: every model class,
// by "apiVersion kind". Its validate() checks types, enums and required fields; fields the schema
// does not know are caught by watching which properties the validator reads (Kubernetes'
// OpenAPI schemas do not forbid additional properties, the API server's strict field validation
// does).

type ModelClass = { apiVersion: string; kind: string; prototype: { validate(this: unknown): void } };
const MODELS = new Map<string, ModelClass>();
(function collect(namespace: object): void {
  for (const value of Object.values(namespace)) {
    if (
      typeof value === 'function' &&
      typeof value.apiVersion === 'string' &&
      typeof value.kind === 'string'
    ) {
      MODELS.set(`${value.apiVersion} ${value.kind}`, value as ModelClass);
    } else if (value !== null && typeof value === 'object') {
      collect(value);
    }
  }
})(kubernetesModels);

/** Problems of one manifest: no schema for its kind, schema violations, unknown fields. */
function kubernetesProblems(manifest: Record<string, unknown>): string[] {
  const id = `${manifest.kind} ${(manifest.metadata as { name?: string } | undefined)?.name}`;
  const model = MODELS.get(`${manifest.apiVersion} ${manifest.kind}`);
  if (!model)
    return [`${id}: no Kubernetes schema for apiVersion ${manifest.apiVersion}, kind ${manifest.kind}`];

  const reads = new WeakMap<object, Set<string>>();
  const proxies = new WeakMap<object, object>();
  const watched = (target: object): object => {
    let proxy = proxies.get(target);
    if (!proxy) {
      const seen = new Set<string>();
      reads.set(target, seen);
      proxy = new Proxy(target, {
        get(object, key, receiver) {
          if (typeof key === 'string') seen.add(key);
          const value: unknown = Reflect.get(object, key, receiver);
          return value !== null && typeof value === 'object' ? watched(value) : value;
        },
      });
      proxies.set(target, proxy);
    }
    return proxy;
  };

  const problems: string[] = [];
  try {
    model.prototype.validate.call(watched(manifest));
  } catch (error) {
    problems.push(`${id}: ${(error as Error).message}`);
  }
  const unknownFields = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) unknownFields(item, `${path}[${index}]`);
    } else if (value !== null && typeof value === 'object') {
      const seen = reads.get(value);
      for (const [key, child] of Object.entries(value)) {
        if (seen?.has(key)) unknownFields(child, `${path}.${key}`);
        else problems.push(`${id}: unknown field ${path}.${key}`);
      }
    }
  };
  unknownFields(manifest, '');
  return problems;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Names and labels Kubernetes would refuse. */
function nameAndLabelProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { kind, metadata } of manifests) {
    const id = `${kind} ${metadata.name}`;
    if (seen.has(id)) problems.push(`${id}: rendered twice`);
    seen.add(id);
    if (metadata.name.length > 63 || !DNS_LABEL.test(metadata.name)) problems.push(`${id}: invalid name`);
    for (const [key, value] of Object.entries(metadata.labels ?? {})) {
      if (value.length > 63 || !LABEL_VALUE.test(value)) problems.push(`${id}: label ${key}=${value}`);
    }
  }
  return problems;
}

beforeAll(async () => {
  // Instant when the global setup built it (ensureBinaries); builds it here otherwise.
  helmPath = await ensureHelm();
  helmHome = await mkdtemp(join(tmpdir(), 'uplink-chart-test-'));
  await Promise.all(
    Object.entries(VALUE_SETS).map(async ([name, args]) => {
      rendered.set(name, await render(args));
    }),
  );
}, 10 * 60_000);

afterAll(async () => {
  if (helmHome) await rm(helmHome, { recursive: true, force: true });
});

describe('helm lint --strict', () => {
  it.each(VALUE_SET_NAMES)('passes with the %s values', async (name) => {
    const result = await helm(['lint', '--strict', CHART_DIR, ...(VALUE_SETS[name] ?? [])]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('0 chart(s) failed');
  });
});

describe('the Kubernetes validator', () => {
  it('catches unknown kinds, wrong types and unknown fields', () => {
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        replicas: 'two',
        selector: { matchLabels: { a: 'b' } },
        template: { spec: { containers: [{ name: 'c', image: 'i', securityContex: {} }] } },
      },
    };
    const problems = kubernetesProblems(manifest);
    expect(problems).toContainEqual(expect.stringMatching(/replicas must be integer/));
    expect(problems).toContain(
      'Deployment x: unknown field .spec.template.spec.containers[0].securityContex',
    );
    expect(
      kubernetesProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toEqual(['Widget w: no Kubernetes schema for apiVersion example.com/v1, kind Widget']);
  });
});

describe.each(VALUE_SET_NAMES)('with the %s values', (name) => {
  it('renders only known kinds, each valid against its Kubernetes schema with no unknown field', () => {
    const manifests = valueSet(name);
    expect(manifests.length).toBeGreaterThan(0);
    expect(manifests.flatMap((m) => kubernetesProblems(m))).toEqual([]);
    expect(nameAndLabelProblems(manifests)).toEqual([]);
    for (const { metadata } of manifests) expect(metadata.namespace).toBe(NAMESPACE);
  });

  it('hardens every pod: non-root 10001, no privilege escalation, read-only root, no capabilities', () => {
    const manifests = valueSet(name);
    const specs: IPodSpec[] = [
      ...only(manifests, Deployment.is).map(podSpecOf),
      ...only(manifests, Pod.is).flatMap((pod: IPod) => (pod.spec ? [pod.spec] : [])),
    ];
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) {
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.resources?.requests?.memory).toBeDefined();
        expect(container.resources?.limits?.memory).toBeDefined();
      }
    }
  });

  it('runs each service from the one image, with probes, /tmp, HOST=0.0.0.0 and enough grace', () => {
    const manifests = valueSet(name);
    for (const deployment of only(manifests, Deployment.is)) {
      const component = componentOf(deployment) as Component;
      const spec = podSpecOf(deployment);
      const container = containerOf(spec);
      const config = configOf(manifests, component);
      expect(container.name).toBe(component);
      expect(container.image).toMatch(/^ghcr\.io\/uplink\/uplink[:@]/);
      expect([...(container.command ?? []), ...(container.args ?? [])]).toEqual([
        'node',
        `services/${component}/src/main.ts`,
      ]);
      expect(container.envFrom).toEqual([{ configMapRef: { name: `${RELEASE}-${component}` } }]);
      expect(config.HOST).toBe('0.0.0.0');
      expect(container.ports).toEqual([
        { name: 'http', containerPort: Number(config.PORT), protocol: 'TCP' },
        ...(config.METRICS_PORT
          ? [{ name: 'metrics', containerPort: Number(config.METRICS_PORT), protocol: 'TCP' }]
          : []),
      ]);

      expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });

      expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(spec.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();

      // The kubelet's SIGKILL must not cut the preStop pause, the drain and the shutdown short.
      const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
      const preStopMs = Number(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(preStop.join(' '))?.[1] ?? 0);
      const worstShutdownMs =
        preStopMs + Number(config.SHUTDOWN_DRAIN_DELAY_MS) + Number(config.SHUTDOWN_TIMEOUT_MS);
      expect((spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(worstShutdownMs);

      // Spread over nodes and zones, selecting exactly this component's pods.
      const podLabels = deployment.spec?.template.metadata?.labels;
      for (const term of spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ??
        []) {
        expect(matches(term.podAffinityTerm.labelSelector?.matchLabels, podLabels)).toBe(true);
      }
      for (const constraint of spec.topologySpreadConstraints ?? []) {
        expect(matches(constraint.labelSelector?.matchLabels, podLabels)).toBe(true);
      }
      if (component === 'note-relay') expect(config.NODE_OPTIONS).toContain('--max-semi-space-size=1');
    }
  });

  it('wires Services, Ingresses, HPAs, PDBs, NetworkPolicies and secrets to what exists', () => {
    const manifests = valueSet(name);
    const deployments = only(manifests, Deployment.is);
    const services = only(manifests, Service.is);
    const podLabelsOf = (component: string | undefined) =>
      deployments.find((d) => componentOf(d) === component)?.spec?.template.metadata?.labels;

    for (const deployment of deployments) {
      const labels = deployment.spec?.template.metadata?.labels;
      expect(matches(deployment.spec?.selector.matchLabels, labels)).toBe(true);
      // No other Deployment's pods match this one's selector.
      for (const other of deployments.filter((d) => d !== deployment)) {
        expect(matches(deployment.spec?.selector.matchLabels, other.spec?.template.metadata?.labels)).toBe(
          false,
        );
      }
    }
    for (const service of services) {
      const labels = podLabelsOf(componentOf(service));
      expect(matches(service.spec?.selector, labels)).toBe(true);
      const deployment = deploymentOf(manifests, componentOf(service) as Component);
      const containerPort = containerOf(podSpecOf(deployment)).ports?.[0]?.containerPort;
      expect(service.spec?.ports).toEqual([
        { name: 'http', port: containerPort, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      ]);
    }
    for (const ingress of only(manifests, Ingress.is)) {
      for (const rule of ingress.spec?.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const backend = named(services, path.backend.service?.name ?? '');
          expect(backend.spec?.ports?.map((p) => p.name)).toContain(path.backend.service?.port?.name);
        }
      }
    }
    for (const hpa of only(manifests, HorizontalPodAutoscaler.is)) {
      const target = deploymentOf(manifests, componentOf(hpa) as Component);
      expect(hpa.spec?.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: target.metadata?.name,
      });
      // The HPA owns the replica count.
      expect(target.spec?.replicas).toBeUndefined();
    }
    for (const pdb of only(manifests, PodDisruptionBudget.is)) {
      expect(matches(pdb.spec?.selector?.matchLabels, podLabelsOf(componentOf(pdb)))).toBe(true);
    }
    for (const policy of only(manifests, NetworkPolicy.is)) {
      expect(matches(policy.spec?.podSelector?.matchLabels, podLabelsOf(componentOf(policy)))).toBe(true);
    }
    // Every secretKeyRef to the chart's own Secret names a key it has.
    const chartSecret = only(manifests, Secret.is).find((s) => s.metadata?.name === RELEASE);
    for (const deployment of deployments) {
      for (const env of containerOf(podSpecOf(deployment)).env ?? []) {
        const ref = env.valueFrom?.secretKeyRef;
        if (ref?.name === RELEASE) expect(Object.keys(chartSecret?.data ?? {})).toContain(ref.key);
      }
    }
  });

  it('lets upload-gateway be reached from the ingress controller only, and egress go where it must', () => {
    const manifests = valueSet(name);
    const policies = only(manifests, NetworkPolicy.is);
    if (policies.length === 0) return; // networkPolicy.enabled: false
    const egressPorts = (policy: INetworkPolicy) =>
      new Set((policy.spec?.egress ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => Number(p.port))));
    for (const policy of policies) {
      const component = componentOf(policy) as Component;
      expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
      const ports = egressPorts(policy);
      for (const port of [53, 4222, 27017]) expect(ports).toContain(port);
      expect(ports.has(443)).toBe(component !== 'expiry-scheduler');
      for (const rule of policy.spec?.egress ?? []) expect(rule.ports?.length).toBeGreaterThan(0);
      // Every ingress rule is limited to one port (the service's, or the metrics port) and to named peers.
      const { PORT, METRICS_PORT } = configOf(manifests, component);
      for (const rule of policy.spec?.ingress ?? []) {
        expect([
          [{ port: Number(PORT), protocol: 'TCP' }],
          [{ port: Number(METRICS_PORT), protocol: 'TCP' }],
        ]).toContainEqual(rule.ports);
        expect(rule.from?.length).toBeGreaterThan(0);
      }
    }
    const gateway = policies.find((p) => componentOf(p) === 'upload-gateway');
    if (gateway) {
      // On the service's port (the metrics port has its own peers, checked elsewhere).
      const gatewayPort = Number(configOf(manifests, 'upload-gateway').PORT);
      const peers = (gateway.spec?.ingress ?? [])
        .filter((rule) => rule.ports?.some((p) => p.port === gatewayPort))
        .flatMap((rule) => rule.from ?? []);
      expect(peers).toEqual([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
        },
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'uplink',
              'app.kubernetes.io/instance': RELEASE,
              'app.kubernetes.io/component': 'helm-test',
            },
          },
        },
      ]);
    }
    const relay = policies.find((p) => componentOf(p) === 'note-relay');
    if (relay) {
      // Blob Storage and the helpdesks: public addresses only, so a webhook URL cannot reach inside.
      const https = (relay.spec?.egress ?? []).filter((rule) => rule.ports?.some((p) => p.port === 443));
      expect(https).toHaveLength(2);
      for (const rule of https) {
        expect(rule.to?.[0]?.ipBlock).toEqual({
          cidr: '0.0.0.0/0',
          except: ['10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16'],
        });
      }
    }
  });

  it('has a helm test hook that checks each enabled service through its Service', () => {
    const manifests = valueSet(name);
    const tests = only(manifests, Pod.is);
    expect(tests).toHaveLength(1);
    const [test] = tests;
    expect(test?.metadata?.annotations?.['helm.sh/hook']).toBe('test');
    const container = test?.spec?.containers[0];
    expect(container?.image).toBe(
      containerOf(podSpecOf(only(manifests, Deployment.is)[0] as IDeployment)).image,
    );
    const urls = container?.env?.find((e) => e.name === 'READYZ_URLS')?.value?.split(' ');
    const expected = only(manifests, Service.is).map((s) => {
      const port = s.spec?.ports?.[0]?.port;
      return `http://${s.metadata?.name}:${port}/readyz`;
    });
    expect(urls?.sort()).toEqual(expected.sort());
  });
});

describe('what each value set renders', () => {
  const kinds = (manifests: readonly Manifest[]) => {
    const counts: Record<string, number> = {};
    for (const { kind } of manifests) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  };

  it('default: four services, the public gateway Ingress, no Secret until credentials are given', () => {
    const manifests = valueSet('default');
    expect(kinds(manifests)).toEqual({
      ConfigMap: 4,
      Deployment: 4,
      Ingress: 1,
      NetworkPolicy: 4,
      Pod: 1,
      PodDisruptionBudget: 4,
      Service: 4,
      ServiceAccount: 1,
    });
    for (const component of COMPONENTS) {
      const deployment = deploymentOf(manifests, component);
      expect(deployment.spec?.replicas).toBe(2);
      expect(containerOf(podSpecOf(deployment)).image).toBe(`ghcr.io/uplink/uplink:${CHART.appVersion}`);
      expect(containerOf(podSpecOf(deployment)).env).toBeUndefined();
    }
    const [ingress] = only(manifests, Ingress.is);
    expect(ingress?.metadata?.name).toBe(`${RELEASE}-upload-gateway`);
    expect(ingress?.spec?.rules?.[0]?.host).toBe('uploads.example.com');
    expect(configOf(manifests, 'link-service').PUBLIC_UPLOAD_BASE_URL).toBe('https://uploads.example.com/u/');
    expect(configOf(manifests, 'note-relay').PUBLIC_FILE_BASE_URL).toBe('https://uploads.example.com/f/');
    expect(configOf(manifests, 'link-service').PUBLIC_FILE_BASE_URL).toBe('https://uploads.example.com/f/');
    expect(configOf(manifests, 'expiry-scheduler')).toEqual({
      HOST: '0.0.0.0',
      PORT: '8083',
      LOG_LEVEL: 'info',
      MONGODB_DB: 'uplink',
      NATS_URL: 'nats://nats:4222',
      SHUTDOWN_TIMEOUT_MS: '30000',
      SHUTDOWN_DRAIN_DELAY_MS: '5000',
    });
  });

  it('ci/production-values.yaml: both Ingresses, HPAs, existingSecret and workload identity', () => {
    const manifests = valueSet('ci/production-values.yaml');
    expect(kinds(manifests)).toMatchObject({ Deployment: 4, HorizontalPodAutoscaler: 3, Ingress: 2 });
    expect(only(manifests, Secret.is)).toEqual([]);
    expect(only(manifests, Ingress.is).map((i) => i.spec?.ingressClassName)).toEqual([
      'nginx-internal',
      'nginx',
    ]);
    const [sa] = only(manifests, ServiceAccount.is);
    expect(sa?.metadata?.annotations).toMatchObject({
      'azure.workload.identity/client-id': '00000000-0000-0000-0000-000000000001',
    });

    for (const component of COMPONENTS) {
      const deployment = deploymentOf(manifests, component);
      const container = containerOf(podSpecOf(deployment));
      const config = configOf(manifests, component);
      const usesStorage = component !== 'expiry-scheduler';
      expect(deployment.spec?.template.metadata?.labels?.['azure.workload.identity/use']).toBe(
        usesStorage ? 'true' : undefined,
      );
      if (usesStorage) {
        expect(config).toMatchObject({
          AZURE_STORAGE_USE_IDENTITY: 'true',
          AZURE_STORAGE_ACCOUNT_NAME: 'acmeuplinkprod',
        });
      }
      expect(envOf(container, 'AZURE_STORAGE_CONNECTION_STRING')).toBeUndefined();
      expect(envOf(container, 'AZURE_STORAGE_ACCOUNT_KEY')).toBeUndefined();
      // secret.refs wins over existingSecret.
      expect(envOf(container, 'MONGODB_URI')?.valueFrom?.secretKeyRef).toEqual({
        name: 'uplink-mongodb-uplink-uplink',
        key: 'connectionString.standard',
      });
      expect(container.image).toMatch(/^ghcr\.io\/uplink\/uplink@sha256:[0-9a-f]{64}$/);
    }
    const linkService = containerOf(podSpecOf(deploymentOf(manifests, 'link-service')));
    expect(envOf(linkService, 'UPLINK_SECRET_KEYS')?.valueFrom?.secretKeyRef).toEqual({
      name: 'uplink-credentials',
      key: 'secret-keys',
    });
    expect(envOf(linkService, 'UPLINK_OPERATOR_TOKEN')?.valueFrom?.secretKeyRef).toEqual({
      name: 'uplink-credentials',
      key: 'operator-token',
      optional: true,
    });
    expect(envOf(linkService, 'UPLINK_BOOTSTRAP_API_KEY')?.valueFrom?.secretKeyRef).toEqual({
      name: 'uplink-credentials',
      key: 'UPLINK_BOOTSTRAP_API_KEY',
      optional: true,
    });
    // Integers stay integers (helm reads values as floats: 8388608 would print as 8.388608e+06).
    expect(configOf(manifests, 'upload-gateway')).toMatchObject({
      UPLOAD_BLOCK_BYTES: '8388608',
      RATE_LIMIT_PER_IP: '240',
      TRUST_PROXY: '10.244.0.0/16',
      PUBLIC_UPLOAD_BASE_URL: 'https://uploads.acme.example/u/',
    });
    expect(configOf(manifests, 'note-relay')).toMatchObject({
      DELIVERY_ATTEMPT_MS: '180000',
      PUBLIC_FILE_BASE_URL: 'https://uploads.acme.example/f/',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
    });
    // Prometheus: its own port, scraped from the monitoring namespace only, never the ingress.
    const relay = deploymentOf(manifests, 'note-relay');
    expect(configOf(manifests, 'note-relay').METRICS_PORT).toBe('9464');
    expect(podSpecOf(relay).containers[0]?.ports).toContainEqual({
      name: 'metrics',
      containerPort: 9464,
      protocol: 'TCP',
    });
    expect(relay.spec?.template.metadata?.annotations?.['prometheus.io/scrape']).toBeUndefined();
    const gatewayPolicy = only(manifests, NetworkPolicy.is).find((p) => componentOf(p) === 'upload-gateway');
    const metricsRule = gatewayPolicy?.spec?.ingress?.find((rule) =>
      rule.ports?.some((port) => port.port === 9464),
    );
    expect(metricsRule?.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    expect(metricsRule?.ports).toEqual([{ port: 9464, protocol: 'TCP' }]);
    const grace = podSpecOf(relay).terminationGracePeriodSeconds;
    expect(grace).toBe(10 + 5 + 60 + 5);
  });

  it('ci/minimal-values.yaml: two services, the chart Secret, no policies, no spreading', () => {
    const manifests = valueSet('ci/minimal-values.yaml');
    expect(kinds(manifests)).toEqual({ ConfigMap: 2, Deployment: 2, Pod: 1, Secret: 1, Service: 2 });
    expect(only(manifests, Deployment.is).map(componentOf).sort()).toEqual([
      'expiry-scheduler',
      'link-service',
    ]);
    const [secret] = only(manifests, Secret.is);
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual([
      'AZURE_STORAGE_ACCOUNT_KEY',
      'MONGODB_URI',
      'UPLINK_BOOTSTRAP_API_KEY',
      'UPLINK_SECRET_KEYS',
    ]);
    expect(Buffer.from(secret?.data?.MONGODB_URI ?? '', 'base64').toString()).toMatch(/^mongodb:\/\/uplink:/);
    const linkService = deploymentOf(manifests, 'link-service');
    const spec = podSpecOf(linkService);
    expect(spec.serviceAccountName).toBe('uplink-runner');
    expect(spec.affinity).toBeUndefined();
    expect(spec.topologySpreadConstraints).toBeUndefined();
    expect(containerOf(spec).lifecycle).toBeUndefined();
    expect(linkService.spec?.template.metadata?.annotations?.['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
    expect(containerOf(spec).env?.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name])).toEqual([
      ['AZURE_STORAGE_ACCOUNT_KEY', RELEASE],
      ['MONGODB_URI', RELEASE],
      ['UPLINK_BOOTSTRAP_API_KEY', RELEASE],
      ['UPLINK_SECRET_KEYS', RELEASE],
    ]);
    expect(configOf(manifests, 'link-service')).toMatchObject({
      LOG_LEVEL: 'debug',
      PUBLIC_UPLOAD_BASE_URL: 'https://uploads.dev.example/u/',
      AZURE_STORAGE_ACCOUNT_NAME: 'uplinkdev',
      AZURE_STORAGE_USE_IDENTITY: 'false',
    });
    // expiry-scheduler never gets more than it needs.
    const scheduler = containerOf(podSpecOf(deploymentOf(manifests, 'expiry-scheduler')));
    expect(scheduler.env?.map((e) => e.name)).toEqual(['MONGODB_URI']);
  });
});

describe('turning services off', () => {
  it.each(COMPONENTS)('renders nothing of %s when it is disabled', async (component) => {
    const manifests = await render(['--set', `${VALUES_KEY[component]}.enabled=false`]);
    expect(manifests.filter((m) => componentOf(m) === component)).toEqual([]);
    expect(manifests.filter((m) => m.metadata.name.includes(component))).toEqual([]);
    expect(only(manifests, Deployment.is)).toHaveLength(3);
    const urls = only(manifests, Pod.is)[0]?.spec?.containers[0]?.env?.find((e) => e.name === 'READYZ_URLS');
    expect(urls?.value).not.toContain(component);
  });

  it('renders only the ServiceAccount when every service is off', async () => {
    const off = COMPONENTS.flatMap((c) => ['--set', `${VALUES_KEY[c]}.enabled=false`]);
    expect((await render(off)).map((m) => m.kind)).toEqual(['ServiceAccount']);
  });
});

describe('the optional ClamAV (clamav.enabled)', () => {
  it('is not rendered by default, and upload-gateway then has no CLAMAV_URL', () => {
    const manifests = valueSet('default');
    expect(manifests.filter((m) => componentOf(m) === 'clamav')).toEqual([]);
    expect(configOf(manifests, 'upload-gateway').CLAMAV_URL).toBeUndefined();
  });

  it('runs clamd with freshclam, hardened, reached by upload-gateway only, which scans with it', async () => {
    const manifests = await render(['--set', 'clamav.enabled=true', '--set', 'clamav.maxFileSize=50M']);
    expect(manifests.flatMap((m) => kubernetesProblems(m))).toEqual([]);
    expect(nameAndLabelProblems(manifests)).toEqual([]);
    const clamav = manifests.filter((m) => componentOf(m) === 'clamav');
    expect(clamav.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'Service']);

    const deployment = only(clamav, Deployment.is)[0] as IDeployment;
    const spec = podSpecOf(deployment);
    expect(spec.initContainers?.map((c) => c.command?.[0])).toEqual(['freshclam']);
    expect(spec.containers.map((c) => c.name)).toEqual(['clamd', 'freshclam']);
    expect(spec.containers[1]?.command).toContain('--daemon');
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(spec.automountServiceAccountToken).toBe(false);
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      expect(container.image).toMatch(/^clamav\/clamav:/);
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.resources?.limits?.memory).toBeDefined();
      expect(container.volumeMounts?.map((v) => v.mountPath).sort()).toEqual([
        '/etc/uplink-clamav',
        '/tmp',
        '/var/lib/clamav',
      ]);
    }
    expect(spec.containers[0]?.readinessProbe?.tcpSocket?.port).toBe('clamd');

    const config = only(clamav, ConfigMap.is)[0]?.data ?? {};
    expect(config['clamd.conf']).toMatch(/^TCPSocket 3310$/m);
    for (const limit of ['StreamMaxLength', 'MaxFileSize', 'MaxScanSize']) {
      expect(config['clamd.conf']).toMatch(new RegExp(`^${limit} 50M$`, 'm'));
    }
    expect(config['freshclam.conf']).toMatch(/^NotifyClamd \/etc\/uplink-clamav\/clamd\.conf$/m);

    const service = only(clamav, Service.is)[0];
    expect(matches(service?.spec?.selector, deployment.spec?.template.metadata?.labels)).toBe(true);
    expect(service?.spec?.ports).toEqual([
      { name: 'clamd', port: 3310, targetPort: 'clamd', protocol: 'TCP' },
    ]);
    expect(configOf(manifests, 'upload-gateway').CLAMAV_URL).toBe(`tcp://${service?.metadata?.name}:3310`);

    const gatewayLabels = deploymentOf(manifests, 'upload-gateway').spec?.template.metadata?.labels;
    const policies = only(manifests, NetworkPolicy.is);
    const clamavPolicy = policies.find((p) => componentOf(p) === 'clamav');
    expect(clamavPolicy?.spec?.ingress).toHaveLength(1);
    expect(
      matches(clamavPolicy?.spec?.ingress?.[0]?.from?.[0]?.podSelector?.matchLabels, gatewayLabels),
    ).toBe(true);
    const gatewayEgress = policies.find((p) => componentOf(p) === 'upload-gateway')?.spec?.egress ?? [];
    const toClamd = gatewayEgress.find((rule) => rule.ports?.some((p) => p.port === 3310));
    expect(
      matches(toClamd?.to?.[0]?.podSelector?.matchLabels, deployment.spec?.template.metadata?.labels),
    ).toBe(true);
  });
});

describe('values.schema.json', () => {
  it('closes every object: additionalProperties false, a typed map, or a documented passthrough', async () => {
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as unknown;
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) for (const [i, item] of node.entries()) walk(item, `${path}/${i}`);
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
      const record = node as Record<string, unknown>;
      const passthrough =
        typeof record.$comment === 'string' && record.$comment.startsWith('Kubernetes passthrough');
      if (record.type === 'object' && !passthrough) {
        const closed = record.additionalProperties === false;
        const typedMap = typeof record.additionalProperties === 'object' && record.properties === undefined;
        if (!closed && !typedMap) open.push(path);
      }
      for (const [key, child] of Object.entries(record)) walk(child, `${path}/${key}`);
    };
    walk(schema, '#');
    expect(open).toEqual([]);
  });

  it.each([
    [['--set', 'nope=1'], /additional propert.*'?nope'? .*not allowed/i],
    [['--set', 'linkService.replica=3'], /additional propert.*'?replica'? .*not allowed/i],
    [
      ['--set', 'networkPolicy.egress.nats.too[0].ipBlock.cidr=10.0.0.0/8'],
      /additional propert.*'?too'? .*not allowed/i,
    ],
    [
      ['--set', 'noteRelay.config.DELIVERY_ATTEMPTS=3'],
      /additional propert.*'?DELIVERY_ATTEMPTS'? .*not allowed/i,
    ],
    [['--set', 'logLevel=verbose'], /logLevel/],
    [['--set', 'uploadGateway.config.UPLOAD_BLOCK_BYTES=1024'], /UPLOAD_BLOCK_BYTES/],
    [['--set', 'azureStorage.auth=workloadIdentity'], /accountName/],
    [['--set', 'publicUrls.upload=uploads.example.com/u/'], /publicUrls/],
    [['--set', 'securityContext.runAsUser=-1'], /runAsUser/],
  ])('rejects %j', async (args, message) => {
    const result = await helm(['template', RELEASE, CHART_DIR, ...args]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(result.stderr).toMatch(message);
  });

  it("renders a service's config as the strings its variables hold, whatever the values' types", async () => {
    const manifests = await render([
      '--set',
      'noteRelay.config.EGRESS_ALLOW_LOOPBACK=true',
      '--set',
      'linkService.config.EGRESS_ALLOW_LOOPBACK=false',
      '--set',
      'noteRelay.config.DELIVERY_ATTEMPT_MS=180000',
      '--set',
      'linkService.config.CONSOLE_FRAME_ANCESTORS=https://*.freshdesk.com https://flex.twilio.com',
      // JSON (like a values file) gives every number as a float.
      '--set-json',
      'uploadGateway.config={"UPLOAD_BLOCK_BYTES":16777216,"RATE_LIMIT_PER_IP":240}',
    ]);
    expect(configOf(manifests, 'note-relay')).toMatchObject({
      EGRESS_ALLOW_LOOPBACK: 'true',
      DELIVERY_ATTEMPT_MS: '180000',
    });
    expect(configOf(manifests, 'link-service')).toMatchObject({
      EGRESS_ALLOW_LOOPBACK: 'false',
      CONSOLE_FRAME_ANCESTORS: 'https://*.freshdesk.com https://flex.twilio.com',
    });
    expect(configOf(manifests, 'upload-gateway')).toMatchObject({
      UPLOAD_BLOCK_BYTES: '16777216',
      RATE_LIMIT_PER_IP: '240',
    });
  });

  it('accepts a service turned off with nothing else', async () => {
    const result = await helm(['template', RELEASE, CHART_DIR, '--set', 'noteRelay.enabled=false']);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('names and labels', () => {
  it('cut every name and label value to 63 characters, keeping the component suffix whole', async () => {
    const long = 'a-very-long-name-override-that-goes-on-and-on-past-sixty-three-characters-for-sure';
    for (const args of [
      ['--set', `fullnameOverride=${long}`],
      ['--set', `nameOverride=${long}`],
      ['--set', `image.tag=${'9'.repeat(70)}+build.metadata`],
    ]) {
      const manifests = await render(args);
      expect(nameAndLabelProblems(manifests)).toEqual([]);
      expect(manifests.flatMap((m) => kubernetesProblems(m))).toEqual([]);
      for (const component of COMPONENTS) {
        const deployment = only(manifests, Deployment.is).find((d) => componentOf(d) === component);
        expect(deployment?.metadata?.name).toMatch(new RegExp(`-${component}$`));
        expect(deployment?.metadata?.name?.length).toBeLessThanOrEqual(63);
      }
    }
  });

  it('refuse Kubernetes versions before 1.27 (kubeVersion)', async () => {
    const result = await helm(['template', RELEASE, CHART_DIR, '--kube-version', '1.26.0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/kubeVersion: >=1\.27\.0-0/);
    expect((await helm(['template', RELEASE, CHART_DIR, '--kube-version', '1.27.0'])).code).toBe(0);
  });
});

describe('secrets', () => {
  it('reads every credential from existingSecret, required ones without optional', async () => {
    const manifests = await render(['--set', 'secret.existingSecret=creds']);
    expect(only(manifests, Secret.is)).toEqual([]);
    const refs = (component: Component) =>
      Object.fromEntries(
        (containerOf(podSpecOf(deploymentOf(manifests, component))).env ?? []).map((e) => [
          e.name,
          e.valueFrom?.secretKeyRef,
        ]),
      );
    expect(refs('upload-gateway')).toEqual({
      MONGODB_URI: { name: 'creds', key: 'MONGODB_URI' },
      // Without it the audit log's customer address hashes use a key per process.
      UPLINK_SECRET_KEYS: { name: 'creds', key: 'UPLINK_SECRET_KEYS', optional: true },
      AZURE_STORAGE_CONNECTION_STRING: { name: 'creds', key: 'AZURE_STORAGE_CONNECTION_STRING' },
    });
    expect(refs('link-service')).toEqual({
      MONGODB_URI: { name: 'creds', key: 'MONGODB_URI' },
      UPLINK_SECRET_KEYS: { name: 'creds', key: 'UPLINK_SECRET_KEYS' },
      UPLINK_OPERATOR_TOKEN: { name: 'creds', key: 'UPLINK_OPERATOR_TOKEN', optional: true },
      UPLINK_BOOTSTRAP_API_KEY: { name: 'creds', key: 'UPLINK_BOOTSTRAP_API_KEY', optional: true },
      // Sign-in with an identity provider is optional, so is its client secret.
      OIDC_CLIENT_SECRET: { name: 'creds', key: 'OIDC_CLIENT_SECRET', optional: true },
      // The console's previews are optional, so is their credential.
      AZURE_STORAGE_CONNECTION_STRING: {
        name: 'creds',
        key: 'AZURE_STORAGE_CONNECTION_STRING',
        optional: true,
      },
    });
    expect(refs('note-relay')).toEqual({
      MONGODB_URI: { name: 'creds', key: 'MONGODB_URI' },
      UPLINK_SECRET_KEYS: { name: 'creds', key: 'UPLINK_SECRET_KEYS' },
      AZURE_STORAGE_CONNECTION_STRING: { name: 'creds', key: 'AZURE_STORAGE_CONNECTION_STRING' },
    });
    expect(refs('expiry-scheduler')).toEqual({ MONGODB_URI: { name: 'creds', key: 'MONGODB_URI' } });
    for (const deployment of only(manifests, Deployment.is)) {
      expect(deployment.spec?.template.metadata?.annotations?.['checksum/secret']).toBeUndefined();
    }
  });

  it('renders the chart Secret from the values given, leaving empty ones out', async () => {
    const manifests = await render([
      '--set',
      'secret.values.MONGODB_URI=mongodb://u:p@db:27017/',
      '--set',
      'secret.values.AZURE_STORAGE_CONNECTION_STRING=AccountName=a;AccountKey=k',
    ]);
    const [secret] = only(manifests, Secret.is);
    expect(secret?.metadata?.name).toBe(RELEASE);
    expect(secret?.data).toEqual({
      AZURE_STORAGE_CONNECTION_STRING: Buffer.from('AccountName=a;AccountKey=k').toString('base64'),
      MONGODB_URI: Buffer.from('mongodb://u:p@db:27017/').toString('base64'),
    });
    const gateway = containerOf(podSpecOf(deploymentOf(manifests, 'upload-gateway')));
    expect(gateway.env?.map((e) => e.name)).toEqual(['AZURE_STORAGE_CONNECTION_STRING', 'MONGODB_URI']);
    expect(
      envOf(containerOf(podSpecOf(deploymentOf(manifests, 'note-relay'))), 'UPLINK_SECRET_KEYS'),
    ).toBeUndefined();
  });
});

describe('the helm test script', () => {
  const servers: Server[] = [];
  const serve = async (status: number): Promise<string> => {
    const server = createServer((_request, response) => response.writeHead(status).end('{}'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const runCheck = async (urls: string[]): Promise<{ code: number | null; output: string }> => {
    const pod = only(valueSet('default'), Pod.is)[0];
    const script = pod?.spec?.containers[0]?.command?.[2];
    if (!script) throw new Error('the test pod has no node -e script');
    expect(pod?.spec?.containers[0]?.command?.slice(0, 2)).toEqual(['node', '-e']);
    const child = spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, READYZ_URLS: urls.join(' '), READYZ_TIMEOUT_MS: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    return { code, output };
  };

  it('exits 0 when every /readyz answers 200', async () => {
    const urls = [await serve(200), await serve(200)];
    const { code, output } = await runCheck(urls);
    expect(code, output).toBe(0);
    for (const url of urls) expect(output).toContain(`ready: ${url}`);
  });

  it('exits 1 naming the services that never answered 200', async () => {
    const ready = await serve(200);
    const draining = await serve(503);
    const closed = await serve(200);
    const stopped = servers.pop();
    await new Promise((resolve) => stopped?.close(resolve));
    const { code, output } = await runCheck([ready, draining, closed]);
    expect(code, output).toBe(1);
    expect(output).toContain(`not ready: ${draining} (HTTP 503)`);
    expect(output).toContain(`not ready: ${closed} (ECONNREFUSED)`);
    expect(output).not.toContain(`not ready: ${ready}`);
  });
});

describe('NOTES.txt', () => {
  // `helm template` does not print NOTES.txt and `helm install --dry-run` needs a cluster, so a
  // copy of the chart renders it into a ConfigMap through `tpl`.
  let copy = '';
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'uplink-chart-notes-'));
    const ownTests = join(CHART_DIR, 'tests');
    await cp(CHART_DIR, copy, { recursive: true, filter: (source) => !source.startsWith(ownTests) });
    await cp(join(copy, 'templates', 'NOTES.txt'), join(copy, 'files', 'NOTES.txt'));
    await writeFile(
      join(copy, 'templates', 'zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n' +
        '  notes: {{ tpl (.Files.Get "files/NOTES.txt") . | quote }}\n',
    );
  });
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });
  const notes = async (args: string[]): Promise<string> => {
    const [configMap] = only(
      await render([...args, '--show-only', 'templates/zz-notes.yaml'], copy),
      ConfigMap.is,
    );
    return configMap?.data?.notes ?? '';
  };

  it('warns about what the default values leave unset, and says how to install NATS and MongoDB', async () => {
    const text = await notes([]);
    expect(text).toContain('WARNING');
    expect(text).toMatch(/MONGODB_URI is not set/);
    expect(text).toMatch(/UPLINK_SECRET_KEYS is not set/);
    expect(text).toMatch(/AZURE_STORAGE_CONNECTION_STRING is not set/);
    expect(text).toMatch(/uploadGateway\.ingress\.host is still uploads\.example\.com/);
    expect(text).toMatch(/trustProxy is not set/);
    expect(text).toContain('helm repo add nats https://nats-io.github.io/k8s/helm/charts/');
    expect(text).toContain('--set config.jetstream.enabled=true');
    expect(text).toContain('MongoDB Community Operator');
    expect(text).toContain(`helm test ${RELEASE} -n ${NAMESPACE}`);
  });

  it('has no warning for the production-like values', async () => {
    const text = await notes(['-f', join(CHART_DIR, 'ci', 'production-values.yaml')]);
    expect(text).not.toContain('WARNING');
    expect(text).toContain('Upload pages   https://uploads.acme.example/u/<token>');
    expect(text).toContain('API, console   https://uplink.internal.acme.example/v1');
  });
});
