import { WizardField } from '../components/WizardField';
import type { WizardState } from '../lib/wizard';

// The wizard's cloud-init fields for a catalog cloud image: the user cloud-init creates and the
// SSH keys it installs. Nova adds its own key (and a host key it pins), so `nova vm ssh NAME`
// works either way; these are for logging in with your own ssh.

interface Props {
  s: WizardState;
  up(patch: Partial<WizardState>): void;
  errors: { ciUser?: string | undefined; ciKeys?: string | undefined };
}

export function CloudInitFields({ s, up, errors }: Props) {
  return (
    <fieldset className="cloud-init" data-testid="wizard-cloud-init">
      <legend>First boot (cloud-init)</legend>
      <WizardField label="User" error={errors.ciUser}>
        <input value={s.ciUser} placeholder="dev" onChange={(e) => up({ ciUser: e.target.value })} data-testid="wizard-ci-user" />
      </WizardField>
      <WizardField label="SSH public keys (one per line, optional)" error={errors.ciKeys}>
        <textarea rows={3} value={s.ciKeys} placeholder="ssh-ed25519 AAAA… you@host" onChange={(e) => up({ ciKeys: e.target.value })} data-testid="wizard-ci-keys" />
      </WizardField>
      <p className="hint">
        The guest gets its address from the network you pick; then <code>nova vm ssh {s.name || 'NAME'}</code> logs in as {s.ciUser.trim() || 'this user'} with the key Nova adds.
      </p>
    </fieldset>
  );
}
