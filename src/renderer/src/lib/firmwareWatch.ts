import { useEffect } from 'react';

/** When to ask again after a UEFI VM went running: its firmware gives up within seconds (TCG: tens). */
export const FIRMWARE_CHECKS_MS = [3_000, 6_000, 12_000, 24_000, 48_000, 96_000];

/**
 * A running UEFI VM stuck in its firmware changes no state, so no event says so: while its page
 * is open, inspect it again a few times after it started (backing off, about 3 minutes in all)
 * until the engine gives a reason (vm.inspect reads the firmware's lines on the serial console).
 */
export function useFirmwareWatch(active: boolean, reload: () => void): void {
  useEffect(() => {
    if (!active) return;
    const timers = FIRMWARE_CHECKS_MS.map((ms) => setTimeout(reload, ms));
    return () => timers.forEach(clearTimeout);
  }, [active, reload]);
}
