// The capsule host suite as root (the same cases as suite-user.test.ts): an engine in this
// process, capsules without a user namespace, limits through cgroups.
import { capsuleHostSuite } from '../../test/capsule-host-suite.js';
import { rootIdentity } from '../../test/capsule-identity.js';
import { describeHost } from '../../test/host.js';

describeHost(
  'capsule host suite as root (crun and runc)',
  { root: true, tools: ['crun', 'runc', 'umoci', 'skopeo', 'docker-registry', 'curl', 'zstd', 'script'] },
  () => capsuleHostSuite((env) => Promise.resolve(rootIdentity(env))),
);
