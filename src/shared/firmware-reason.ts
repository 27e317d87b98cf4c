// How a VM's reason says it sits in its firmware with nothing booted (src/core/vm/firmware-boot.ts
// writes it; the VM's page keeps asking until it sees one, and shows it).
export const FIRMWARE_STUCK = 'the firmware ';
export const isFirmwareStuck = (reason: string | undefined): boolean => Boolean(reason?.startsWith(FIRMWARE_STUCK));
