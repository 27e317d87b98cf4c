// The capsule host suite as an ordinary user the test creates (subordinate ids from useradd): its
// engine under setpriv, capsules in user namespaces on crun and runc. The host must see every
// capsule process under the user's uid or its subordinate ids, never root, and nothing after rm.
import { capsuleHostSuite } from '../../test/capsule-host-suite.js';
import { userIdentity } from '../../test/capsule-identity.js';
import { describeHost } from '../../test/host.js';

describeHost(
  'capsule host suite as an ordinary user (user namespaces, crun and runc)',
  { root: true, tools: ['crun', 'runc', 'newuidmap', 'newgidmap', 'nsenter', 'umoci', 'skopeo', 'docker-registry', 'curl', 'zstd', 'setpriv', 'useradd', 'script'] },
  () => capsuleHostSuite(userIdentity),
);
