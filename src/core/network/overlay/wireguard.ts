import { missingDriver } from './missing.js';
export const wireguardDriver = missingDriver('wireguard', 'Nova has no WireGuard overlay transport in this build', 'use driver = "vxlan" on a trusted underlay');
